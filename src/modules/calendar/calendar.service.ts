import canonicalize from 'canonicalize';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import { problemsAsFieldErrors } from './calendar-form.ts';
import {
  calendarOf,
  calendarVersion,
  insertCalendarYear,
  insertCalendarYearIfAbsent,
  lockCalendar,
  readCalendarYears,
  readEditedCalendarYears,
  updateCalendarYearData,
} from './calendar.repository.ts';
import { buildKazakhstanCalendarData } from './kz-calendar-data.ts';
import {
  type CalendarData,
  type CalendarDate,
  type CalendarHoliday,
  describeDay,
  type DayDescription,
  findCalendarDataProblems,
  FIRST_SUPPORTED_YEAR,
  holidaysOfYear,
  type YearData,
  yearExceptions,
} from './working-days.ts';

/**
 * The working-day calendar is data administrators keep in `calendar_years`; the years known when
 * the portal was built are filled in at start-up if absent (never overwriting an administrator's
 * edit). Readers get one frozen CalendarData object, reloaded when the table changes.
 */
let cache: { key: string; data: CalendarData } | null = null;

export async function ensureKnownCalendarYears(db: Kysely<Database>): Promise<number[]> {
  const known = buildKazakhstanCalendarData();
  return db.transaction().execute(async (trx) => {
    const added: number[] = [];
    for (const [yearText, yearData] of Object.entries(known.years)) {
      const year = Number(yearText);
      if (await insertCalendarYearIfAbsent(trx, year, yearData)) {
        added.push(year);
        await recordAuditEvent(trx, {
          actor: { kind: 'system', label: 'system:calendar-seed' },
          entityType: 'calendar_year',
          entityId: String(year),
          action: 'calendar_year.created',
          after: yearData,
        });
      }
    }
    return added;
  });
}

export async function loadCalendarData(db: Kysely<Database>): Promise<CalendarData> {
  const key = await calendarVersion(db);
  if (cache?.key === key) return cache.data;
  const data = calendarOf(await readCalendarYears(db));
  const problems = findCalendarDataProblems(data);
  if (problems.length > 0) throw new Error(`the stored working-day calendar is inconsistent: ${JSON.stringify(problems[0])}`);
  cache = { key, data: Object.freeze(data) };
  return cache.data;
}

// ---------------------------------------------------------------------------------------------
// Administrators' editing

/** The years the calendar table accepts (its check constraint) and the rules cover. */
export const CALENDAR_YEAR_LIMITS = { min: FIRST_SUPPORTED_YEAR, max: 2100 } as const;

export interface CalendarYearSummary {
  year: number;
  /** Null when the stored data cannot be computed (it never should: saving refuses such data). */
  weekdaysOff: number | null;
  weekendWorkdays: number | null;
  provisional: boolean;
  source: string;
  updatedAt: Date;
  updatedBy: string | null;
}

export interface CalendarYearDetails {
  year: number;
  data: YearData;
  updatedAt: Date;
  updatedBy: string | null;
  holidays: CalendarHoliday[];
  /** Weekdays not worked, with the reason. */
  weekdaysOff: DayDescription[];
  /** Saturdays and Sundays worked instead of a day off. */
  weekendWorkdays: DayDescription[];
}

function invalid(fields: FieldError[]): AppError {
  return new AppError('VALIDATION_FAILED', 'input rejected', { fields });
}

export async function listCalendarYears(db: Kysely<Database>, input: { actor: AuthUser }): Promise<CalendarYearSummary[]> {
  requirePermission(input.actor, 'calendar.manage');
  const years = await readEditedCalendarYears(db);
  const calendar = calendarOf(years);
  return years.map((entry) => {
    let counts: { weekdaysOff: number | null; weekendWorkdays: number | null } = { weekdaysOff: null, weekendWorkdays: null };
    try {
      const exceptions = yearExceptions(entry.year, calendar);
      counts = { weekdaysOff: exceptions.weekdaysOff.length, weekendWorkdays: exceptions.weekendWorkdays.length };
    } catch {
      // Shown as unknown; the year's page names the problem when it is opened and saved.
    }
    return { year: entry.year, ...counts, provisional: entry.data.provisional, source: entry.data.source, updatedAt: entry.updatedAt, updatedBy: entry.updatedBy };
  });
}

export async function getCalendarYear(db: Kysely<Database>, input: { actor: AuthUser; year: number }): Promise<CalendarYearDetails> {
  requirePermission(input.actor, 'calendar.manage');
  const years = await readEditedCalendarYears(db);
  const entry = years.find((e) => e.year === input.year);
  if (!entry) throw new AppError('NOT_FOUND');
  const calendar = calendarOf(years);
  const describe = (dates: CalendarDate[]) => dates.map((date) => describeDay(date, calendar));
  const exceptions = yearExceptions(input.year, calendar);
  return {
    year: entry.year,
    data: entry.data,
    updatedAt: entry.updatedAt,
    updatedBy: entry.updatedBy,
    holidays: holidaysOfYear(input.year, calendar),
    weekdaysOff: describe(exceptions.weekdaysOff),
    weekendWorkdays: describe(exceptions.weekendWorkdays),
  };
}

function emptyYear(): YearData {
  return { kurbanAit: null, transfers: [], addedHolidays: [], removedHolidays: [], source: '', provisional: true };
}

/**
 * Adds a year: the data the portal was built with when it knows the year, else the statutory
 * rules alone, marked provisional until an administrator completes it.
 */
export async function addCalendarYear(db: Kysely<Database>, input: { actor: AuthUser; year: number; requestId?: string }): Promise<void> {
  requirePermission(input.actor, 'calendar.manage');
  const { year } = input;
  if (!Number.isInteger(year) || year < CALENDAR_YEAR_LIMITS.min || year > CALENDAR_YEAR_LIMITS.max) {
    throw invalid([{ field: 'year', rule: 'admin.calendar.errors.year_range', params: CALENDAR_YEAR_LIMITS }]);
  }
  const data = buildKazakhstanCalendarData().years[year] ?? emptyYear();
  await db.transaction().execute(async (trx) => {
    // The checks below look at every year.
    await lockCalendar(trx);
    const years = await readCalendarYears(trx);
    if (years.some((e) => e.year === year)) throw invalid([{ field: 'year', rule: 'admin.calendar.errors.year_exists', params: { year } }]);
    const problems = findCalendarDataProblems({ years: { ...calendarOf(years).years, [year]: data } });
    if (problems.length > 0) {
      throw invalid(problems.map((p) => ({ field: 'year', rule: 'admin.calendar.errors.year_conflicts', params: { year: p.year, value: p.value } })));
    }
    await insertCalendarYear(trx, year, data, input.actor.id);
    await recordAuditEvent(trx, {
      actor: userActor(input.actor),
      entityType: 'calendar_year',
      entityId: String(year),
      action: 'calendar_year.created',
      after: data,
      requestId: input.requestId,
    });
  });
}

/**
 * Replaces a year's data after checking it, together with every other year, against the rules.
 * `expectedUpdatedAt` is the version the administrator edited: if someone saved meanwhile the
 * save is refused rather than silently undoing their change.
 */
export async function updateCalendarYear(
  db: Kysely<Database>,
  input: { actor: AuthUser; year: number; data: YearData; expectedUpdatedAt: string; requestId?: string },
): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'calendar.manage');
  return db.transaction().execute(async (trx) => {
    await lockCalendar(trx);
    const years = await readCalendarYears(trx);
    const entry = years.find((e) => e.year === input.year);
    if (!entry) throw new AppError('NOT_FOUND');
    if (entry.updatedAt.toISOString() !== input.expectedUpdatedAt) {
      throw invalid([{ field: 'form', rule: 'admin.calendar.errors.changed_meanwhile' }]);
    }
    const problems = findCalendarDataProblems({ years: { ...calendarOf(years).years, [input.year]: input.data } });
    if (problems.length > 0) throw invalid(problemsAsFieldErrors(input.year, input.data, problems));
    const before = entry.data;
    // jsonb keeps keys in its own order: compare canonical forms.
    if (canonicalize(before) === canonicalize(input.data)) return { changed: false };
    await updateCalendarYearData(trx, input.year, input.data, input.actor.id);
    await recordAuditEvent(trx, {
      actor: userActor(input.actor),
      entityType: 'calendar_year',
      entityId: String(input.year),
      action: 'calendar_year.updated',
      before,
      after: input.data,
      requestId: input.requestId,
    });
    return { changed: true };
  });
}
