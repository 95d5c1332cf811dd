/**
 * Working days in Kazakhstan, for deadlines such as "within 2 working days from receipt"
 * (003 §6), "5 working days" (003 §8) and "10 working days" (003 §9, 001 §6–11).
 *
 * What lives where (domain.md "Working days": the calendar is data that administrators keep):
 *   - code: weekends are Saturday and Sunday; the statutory holidays and the years they apply
 *     (KAZAKHSTAN_STATUTORY_HOLIDAYS); the rule that a holiday on a weekend gives a day off on the
 *     next working day, except religious holidays;
 *   - data, per year (CalendarData, stored as JSON and edited by administrators): the date of
 *     Kurban Ait, the government's transfers of days off, one-off additions and removals of
 *     holidays, the legal source and whether the year is provisional.
 * A year without data is refused (CalendarYearMissingError): treating it as "weekends only" would
 * silently produce deadlines that fall on holidays.
 *
 * Days are ISO strings 'YYYY-MM-DD' in Asia/Almaty; instants are Date. Nothing here reads the
 * clock: the current time is always passed in.
 */
import { KAZAKHSTAN_STATUTORY_HOLIDAYS, KURBAN_AIT_NAME } from './kz-calendar-data.ts';

// ---------------------------------------------------------------------------------------------
// Data model

/** A day in Asia/Almaty, 'YYYY-MM-DD'. */
export type CalendarDate = string;

export interface LocalizedName {
  kk: string;
  ru: string;
  en: string;
}

/** A statutory holiday as the law defines it (code, not data). */
export interface StatutoryHoliday {
  /** Identifies the holiday, not the date: Constitution Day has had two dates. */
  key: string;
  month: number;
  day: number;
  name: LocalizedName;
  /**
   * Whether a weekend occurrence gives a day off on the next working day (Law "On holidays"
   * art. 5). False for 7 January: Labour Code art. 84 keeps religious holidays where they fall.
   */
  movable: boolean;
  /** Inclusive ranges of years in which the day is a holiday; `until: null` means still in force. */
  periods: ReadonlyArray<{ from: number; until: number | null }>;
}

/** A holiday added for one year only (e.g. a one-off decree, or a correction while a law is unclear). */
export interface AddedHoliday {
  date: CalendarDate;
  name: LocalizedName;
  movable: boolean;
}

/**
 * The government (from 2024 the labour ministry, Labour Code art. 85) moves a day off: the
 * weekday `dayOff` is not worked and the weekend day `workday` is worked instead.
 * May cross a year boundary (e.g. 3 January 2014 off for Saturday 28 December 2013).
 */
export interface DayOffTransfer {
  dayOff: CalendarDate;
  workday: CalendarDate;
  /** The act that made the transfer. */
  source: string;
}

export interface YearData {
  /** First day of Kurban Ait, announced each year; null while not known. Not moved off a weekend. */
  kurbanAit: CalendarDate | null;
  transfers: DayOffTransfer[];
  addedHolidays: AddedHoliday[];
  /** Dates of statutory holidays (or Kurban Ait) that are not holidays this year. */
  removedHolidays: CalendarDate[];
  /** Which laws, orders and announcements this year's data follows. */
  source: string;
  /** True while the year rests on announcements or rules not yet confirmed. */
  provisional: boolean;
}

export interface CalendarData {
  years: Record<number, YearData>;
}

/** A holiday as it falls in a given year. */
export interface CalendarHoliday {
  date: CalendarDate;
  key: string;
  name: LocalizedName;
  movable: boolean;
}

export type NonWorkingReason =
  | { kind: 'weekend' }
  | { kind: 'holiday'; holiday: CalendarHoliday }
  /** The day off given for `holiday`, which fell on a weekend. */
  | { kind: 'moved_day_off'; holiday: CalendarHoliday }
  | { kind: 'transferred_day_off'; transfer: DayOffTransfer };

export type WorkingReason = { kind: 'weekday' } | { kind: 'transferred_workday'; transfer: DayOffTransfer };

export type DayDescription =
  | { date: CalendarDate; working: true; reason: WorkingReason; provisional: boolean }
  | { date: CalendarDate; working: false; reason: NonWorkingReason; provisional: boolean };

// ---------------------------------------------------------------------------------------------
// Errors

/** The calendar has no data for a year a computation needs; an administrator must add it. */
export class CalendarYearMissingError extends Error {
  override name = 'CalendarYearMissingError';
  readonly year: number;

  constructor(year: number) {
    super(`the working-day calendar has no data for ${year}`);
    this.year = year;
  }
}

export interface CalendarDataProblem {
  year: number;
  code:
    | 'year_not_supported'
    | 'invalid_date'
    | 'date_outside_year'
    | 'duplicate_holiday'
    | 'removed_not_a_holiday'
    | 'transfer_day_off_not_a_working_weekday'
    | 'transfer_workday_not_a_free_weekend_day'
    | 'duplicate_transfer';
  value: string;
}

/** The calendar data contradicts itself or the rules; `problems` says where. */
export class CalendarDataError extends Error {
  override name = 'CalendarDataError';
  readonly problems: readonly CalendarDataProblem[];

  constructor(problems: readonly CalendarDataProblem[]) {
    super(`invalid working-day calendar: ${problems.map((p) => `${p.year} ${p.code} ${p.value}`).join('; ')}`);
    this.problems = problems;
  }
}

// ---------------------------------------------------------------------------------------------
// Day numbers: whole days since 1970-01-01, so that day arithmetic is integer arithmetic.

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** The Law "On holidays" (No. 267-II of 13.12.2001) and its moving rule apply from 2002. */
export const FIRST_SUPPORTED_YEAR = 2002;

function tryDayNumber(date: string): number | null {
  const match = ISO_DATE.exec(date);
  if (match === null) return null;
  const [, y, m, d] = match;
  const ms = Date.UTC(Number(y), Number(m) - 1, Number(d));
  return formatDayNumber(ms / DAY_MS) === date ? ms / DAY_MS : null;
}

function dayNumber(date: string): number {
  const day = tryDayNumber(date);
  if (day === null) throw new RangeError(`"${date}" is not a calendar date YYYY-MM-DD`);
  return day;
}

function formatDayNumber(day: number): CalendarDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function yearOfDay(day: number): number {
  return new Date(day * DAY_MS).getUTCFullYear();
}

function isWeekend(day: number): boolean {
  const weekday = new Date(day * DAY_MS).getUTCDay();
  return weekday === 0 || weekday === 6;
}

// ---------------------------------------------------------------------------------------------
// Rules: which days are holidays in a year, and where weekend holidays move.

function statutoryHolidaysOf(year: number): CalendarHoliday[] {
  return KAZAKHSTAN_STATUTORY_HOLIDAYS.filter((h) =>
    h.periods.some((p) => p.from <= year && (p.until === null || year <= p.until)),
  ).map((h) => ({
    date: `${year}-${String(h.month).padStart(2, '0')}-${String(h.day).padStart(2, '0')}`,
    key: h.key,
    name: h.name,
    movable: h.movable,
  }));
}

function ruleHolidaysOf(year: number, data: YearData): CalendarHoliday[] {
  const holidays = statutoryHolidaysOf(year);
  const kurbanAit = data.kurbanAit;
  // Labour Code art. 84: the first day of Kurban Ait is a day off and is not moved off a weekend.
  // When it coincides with a statutory holiday (22 March in 2032 by the lunar calendar) the day is
  // that holiday, which keeps its own right to be moved off a weekend.
  if (kurbanAit !== null && !holidays.some((h) => h.date === kurbanAit)) {
    holidays.push({ date: kurbanAit, key: 'kurban-ait', name: KURBAN_AIT_NAME, movable: false });
  }
  return holidays;
}

/** Rule holidays, minus the year's removals, plus its additions, in date order. */
function holidaysFromData(year: number, data: YearData): CalendarHoliday[] {
  const removed = new Set(data.removedHolidays);
  const holidays = ruleHolidaysOf(year, data).filter((h) => !removed.has(h.date));
  for (const added of data.addedHolidays) {
    holidays.push({ date: added.date, key: `added:${added.date}`, name: added.name, movable: added.movable });
  }
  return holidays.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

interface HolidayRun {
  holidays: CalendarHoliday[];
  lastDay: number;
}

/** Holidays on consecutive calendar days (1–2 January, 21–23 March) form one run. */
function runsOf(holidays: readonly CalendarHoliday[]): HolidayRun[] {
  const runs: HolidayRun[] = [];
  for (const holiday of holidays) {
    const day = dayNumber(holiday.date);
    const current = runs.at(-1);
    if (current !== undefined && day - current.lastDay <= 1) {
      current.holidays.push(holiday);
      current.lastDay = day;
    } else {
      runs.push({ holidays: [holiday], lastDay: day });
    }
  }
  return runs;
}

/**
 * Law "On holidays" art. 5: a holiday on a weekend gives a day off on the next working day; when a
 * run of holidays meets a weekend, the extra days come after the whole run (21–23 March 2026,
 * Sat–Mon, gives 24 and 25 March). Religious holidays (movable: false) give nothing.
 * Government transfers are ignored here: they are decided afterwards, on top of these days.
 */
function movedDaysOff(
  holidays: readonly CalendarHoliday[],
  isHoliday: (day: number) => boolean,
): Map<number, CalendarHoliday> {
  const moved = new Map<number, CalendarHoliday>();
  const isFree = (day: number) => !isWeekend(day) && !isHoliday(day) && !moved.has(day);
  for (const run of runsOf(holidays)) {
    let day = run.lastDay;
    for (const holiday of run.holidays) {
      if (!holiday.movable || !isWeekend(dayNumber(holiday.date))) continue;
      day++;
      while (!isFree(day)) day++;
      moved.set(day, holiday);
    }
  }
  return moved;
}

// ---------------------------------------------------------------------------------------------
// Validation and compilation of the data

type DayStatus =
  | { kind: 'holiday'; holiday: CalendarHoliday }
  | { kind: 'moved_day_off'; holiday: CalendarHoliday }
  | { kind: 'transferred_day_off'; transfer: DayOffTransfer }
  | { kind: 'transferred_workday'; transfer: DayOffTransfer };

interface CompiledCalendar {
  years: ReadonlyMap<number, YearData>;
  /** Only the days that differ from "Monday–Friday work, Saturday–Sunday rest" or are holidays. */
  statuses: ReadonlyMap<number, DayStatus>;
}

function yearEntries(data: CalendarData): Array<[number, YearData]> {
  return Object.entries(data.years).map(([key, value]) => [Number(key), value]);
}

function dateProblems(year: number, dates: readonly string[], sameYearOnly: boolean): CalendarDataProblem[] {
  const problems: CalendarDataProblem[] = [];
  for (const date of dates) {
    const day = tryDayNumber(date);
    if (day === null) problems.push({ year, code: 'invalid_date', value: date });
    else if (sameYearOnly && yearOfDay(day) !== year) problems.push({ year, code: 'date_outside_year', value: date });
  }
  return problems;
}

function holidayListProblems(year: number, yearData: YearData): CalendarDataProblem[] {
  const ruleDates = new Set(ruleHolidaysOf(year, yearData).map((h) => h.date));
  const problems: CalendarDataProblem[] = [];
  for (const date of yearData.removedHolidays) {
    if (!ruleDates.has(date)) problems.push({ year, code: 'removed_not_a_holiday', value: date });
  }
  const seen = new Set<string>();
  for (const holiday of holidaysFromData(year, yearData)) {
    // An added holiday on a date that already is one would change nothing but the name shown:
    // the administrator should remove the existing holiday first, so the data says what it means.
    if (seen.has(holiday.date)) problems.push({ year, code: 'duplicate_holiday', value: holiday.date });
    seen.add(holiday.date);
  }
  return problems;
}

function shapeProblems(year: number, yearData: YearData): CalendarDataProblem[] {
  if (!Number.isInteger(year) || year < FIRST_SUPPORTED_YEAR || year > 9999) {
    return [{ year, code: 'year_not_supported', value: String(year) }];
  }
  const ownDates = [
    ...(yearData.kurbanAit === null ? [] : [yearData.kurbanAit]),
    ...yearData.removedHolidays,
    ...yearData.addedHolidays.map((h) => h.date),
  ];
  const transferDates = yearData.transfers.flatMap((t) => [t.dayOff, t.workday]);
  const problems = [...dateProblems(year, ownDates, true), ...dateProblems(year, transferDates, false)];
  return problems.length > 0 ? problems : holidayListProblems(year, yearData);
}

function transferProblems(
  year: number,
  transfers: readonly DayOffTransfer[],
  statuses: ReadonlyMap<number, DayStatus>,
  seen: Set<number>,
): CalendarDataProblem[] {
  const problems: CalendarDataProblem[] = [];
  for (const transfer of transfers) {
    const dayOff = dayNumber(transfer.dayOff);
    const workday = dayNumber(transfer.workday);
    if (isWeekend(dayOff) || statuses.has(dayOff)) {
      problems.push({ year, code: 'transfer_day_off_not_a_working_weekday', value: transfer.dayOff });
    }
    if (!isWeekend(workday) || statuses.has(workday)) {
      problems.push({ year, code: 'transfer_workday_not_a_free_weekend_day', value: transfer.workday });
    }
    for (const day of [dayOff, workday]) {
      if (seen.has(day)) problems.push({ year, code: 'duplicate_transfer', value: formatDayNumber(day) });
      seen.add(day);
    }
  }
  return problems;
}

/** Holidays and the moved days off of every year in the data (weekend moves may cross into January). */
function ruleStatuses(years: ReadonlyMap<number, YearData>): Map<number, DayStatus> {
  const statuses = new Map<number, DayStatus>();
  const holidaysByYear = [...years].map(([year, yearData]) => holidaysFromData(year, yearData));
  for (const holiday of holidaysByYear.flat()) statuses.set(dayNumber(holiday.date), { kind: 'holiday', holiday });
  const isHoliday = (day: number) => statuses.get(day)?.kind === 'holiday';
  for (const holidays of holidaysByYear) {
    for (const [day, holiday] of movedDaysOff(holidays, isHoliday)) statuses.set(day, { kind: 'moved_day_off', holiday });
  }
  return statuses;
}

function compileOrProblems(data: CalendarData): CompiledCalendar | CalendarDataProblem[] {
  const entries = yearEntries(data);
  const problems = entries.flatMap(([year, yearData]) => shapeProblems(year, yearData));
  if (problems.length > 0) return problems;

  const years = new Map(entries);
  const statuses = ruleStatuses(years);
  const seenTransferDays = new Set<number>();
  for (const [year, yearData] of entries) {
    problems.push(...transferProblems(year, yearData.transfers, statuses, seenTransferDays));
  }
  if (problems.length > 0) return problems;

  for (const [, yearData] of entries) {
    for (const transfer of yearData.transfers) {
      statuses.set(dayNumber(transfer.dayOff), { kind: 'transferred_day_off', transfer });
      statuses.set(dayNumber(transfer.workday), { kind: 'transferred_workday', transfer });
    }
  }
  return { years, statuses };
}

/**
 * Everything wrong with calendar data, for the administrators' editor; empty when the data is
 * usable. Transfers are checked against the rules: the day off must be a working weekday and the
 * worked day a weekend day that is neither a holiday nor a moved day off.
 */
export function findCalendarDataProblems(data: CalendarData): CalendarDataProblem[] {
  const result = compileOrProblems(data);
  return Array.isArray(result) ? result : [];
}

/**
 * Compiled calendars are cached per data object: treat CalendarData as immutable and pass a new
 * object after an edit (a loaded JSON document always is one).
 */
const compiledCache = new WeakMap<CalendarData, CompiledCalendar>();

function compile(data: CalendarData): CompiledCalendar {
  const cached = compiledCache.get(data);
  if (cached !== undefined) return cached;
  const result = compileOrProblems(data);
  if (Array.isArray(result)) throw new CalendarDataError(result);
  compiledCache.set(data, result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Day queries

function statusOf(calendar: CompiledCalendar, day: number): DayStatus | undefined {
  const year = yearOfDay(day);
  if (!calendar.years.has(year)) throw new CalendarYearMissingError(year);
  return calendar.statuses.get(day);
}

function isWorkingDayNumber(calendar: CompiledCalendar, day: number): boolean {
  const status = statusOf(calendar, day);
  if (status === undefined) return !isWeekend(day);
  return status.kind === 'transferred_workday';
}

export function isWorkingDay(date: CalendarDate, data: CalendarData): boolean {
  return isWorkingDayNumber(compile(data), dayNumber(date));
}

/** Why a day is not worked (a holiday on a weekend is reported as the holiday), or null if it is. */
export function nonWorkingReason(date: CalendarDate, data: CalendarData): NonWorkingReason | null {
  const description = describeDay(date, data);
  return description.working ? null : description.reason;
}

export function describeDay(date: CalendarDate, data: CalendarData): DayDescription {
  const calendar = compile(data);
  const day = dayNumber(date);
  const status = statusOf(calendar, day);
  const provisional = calendar.years.get(yearOfDay(day))?.provisional ?? false;
  if (status === undefined) {
    return isWeekend(day)
      ? { date, working: false, reason: { kind: 'weekend' }, provisional }
      : { date, working: true, reason: { kind: 'weekday' }, provisional };
  }
  if (status.kind === 'transferred_workday') return { date, working: true, reason: status, provisional };
  return { date, working: false, reason: status, provisional };
}

/** The holidays of a year as they fall (rules + Kurban Ait + the year's additions and removals). */
export function holidaysOfYear(year: number, data: CalendarData): CalendarHoliday[] {
  const yearData = compile(data).years.get(year);
  if (yearData === undefined) throw new CalendarYearMissingError(year);
  return holidaysFromData(year, yearData);
}

/**
 * The year as people read it in the official calendar: the weekdays that are not worked and
 * the weekend days that are (the two columns of the domain.md table).
 */
export function yearExceptions(year: number, data: CalendarData): { weekdaysOff: CalendarDate[]; weekendWorkdays: CalendarDate[] } {
  const calendar = compile(data);
  const weekdaysOff: CalendarDate[] = [];
  const weekendWorkdays: CalendarDate[] = [];
  const last = dayNumber(`${year}-12-31`);
  for (let day = dayNumber(`${year}-01-01`); day <= last; day++) {
    const working = isWorkingDayNumber(calendar, day);
    if (isWeekend(day) && working) weekendWorkdays.push(formatDayNumber(day));
    if (!isWeekend(day) && !working) weekdaysOff.push(formatDayNumber(day));
  }
  return { weekdaysOff, weekendWorkdays };
}

// ---------------------------------------------------------------------------------------------
// Working-day arithmetic

function requireCount(n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`expected a whole number of working days ≥ ${min}, got ${n}`);
}

function addWorkingDayNumbers(calendar: CompiledCalendar, start: number, n: number): number {
  let day = start;
  if (n === 0) {
    while (!isWorkingDayNumber(calendar, day)) day++;
    return day;
  }
  for (let remaining = n; remaining > 0; ) {
    day++;
    if (isWorkingDayNumber(calendar, day)) remaining--;
  }
  return day;
}

/**
 * The n-th working day after `date` (n ≥ 1), not counting `date` itself, whatever it is.
 * n = 0 gives `date` when it is a working day, else the next working day: "the first working day
 * on or after", so the result is always a working day and n = 0 never lands on a holiday.
 * Throws CalendarYearMissingError when the walk reaches a year without data.
 */
export function addWorkingDays(date: CalendarDate, n: number, data: CalendarData): CalendarDate {
  requireCount(n, 0);
  return formatDayNumber(addWorkingDayNumbers(compile(data), dayNumber(date), n));
}

/**
 * The number of working days in (from, to]: `from` is not counted, `to` is. Negative (minus the
 * working days in (to, from]) when `to` is before `from`. So for n ≥ 1,
 * workingDaysBetween(d, addWorkingDays(d, n)) === n.
 */
export function workingDaysBetween(from: CalendarDate, to: CalendarDate, data: CalendarData): number {
  const calendar = compile(data);
  const start = dayNumber(from);
  const end = dayNumber(to);
  if (end < start) return -workingDaysBetween(to, from, data);
  let count = 0;
  for (let day = start + 1; day <= end; day++) if (isWorkingDayNumber(calendar, day)) count++;
  return count;
}

// ---------------------------------------------------------------------------------------------
// Instants in Asia/Almaty. Kazakhstan moved from UTC+6 to UTC+5 on 1 March 2024; Intl's time
// zone database knows this and any future change, so no offset is written down here.

const ALMATY = 'Asia/Almaty';
const almatyParts = new Intl.DateTimeFormat('en-US', {
  timeZone: ALMATY,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function almatyWallClock(instantMs: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const fields: Record<string, number> = {};
  for (const part of almatyParts.formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year ?? Number.NaN,
    month: fields.month ?? Number.NaN,
    day: fields.day ?? Number.NaN,
    hour: fields.hour ?? Number.NaN,
    minute: fields.minute ?? Number.NaN,
    second: fields.second ?? Number.NaN,
  };
}

/** How far Almaty's wall clock is ahead of UTC at an instant, in ms. */
function almatyOffsetMs(instantMs: number): number {
  const wall = almatyWallClock(instantMs);
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return wallAsUtc - Math.floor(instantMs / 1000) * 1000;
}

function requireValidInstant(instant: Date): number {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError('invalid Date');
  return ms;
}

/** The last day asked for, with the instants it spans: most calls ask about the same day, "now". */
let lastDay: { date: CalendarDate; fromMs: number; untilMs: number } | null = null;

/** The day in Asia/Almaty at an instant: 2026-03-20T19:30Z is already 21 March there. */
export function toAlmatyDate(instant: Date): CalendarDate {
  const ms = requireValidInstant(instant);
  if (lastDay && ms >= lastDay.fromMs && ms < lastDay.untilMs) return lastDay.date;
  const wall = almatyWallClock(ms);
  const date = `${String(wall.year).padStart(4, '0')}-${String(wall.month).padStart(2, '0')}-${String(wall.day).padStart(2, '0')}`;
  const day = tryDayNumber(date);
  if (day !== null) {
    const span = { date, fromMs: startOfAlmatyDayMs(day), untilMs: startOfAlmatyDayMs(day + 1) };
    // Kept only when the span holds the instant (it always should; an odd historical offset aside).
    if (ms >= span.fromMs && ms < span.untilMs) lastDay = span;
  }
  return date;
}

function startOfAlmatyDayMs(day: number): number {
  const wallMidnight = day * DAY_MS;
  // Guess with the offset at midnight UTC, then take the offset in force at the guessed instant:
  // the two differ when the offset changed in between, as it did on 29 February 2024.
  const guess = wallMidnight - almatyOffsetMs(wallMidnight);
  return wallMidnight - almatyOffsetMs(guess);
}

/** 00:00 of `date` in Asia/Almaty. */
export function startOfAlmatyDay(date: CalendarDate): Date {
  return new Date(startOfAlmatyDayMs(dayNumber(date)));
}

/** The last millisecond of `date` in Asia/Almaty (the next day's start minus 1 ms). */
export function endOfAlmatyDay(date: CalendarDate): Date {
  return new Date(startOfAlmatyDayMs(dayNumber(date) + 1) - 1);
}

/**
 * The deadline of "within n working days from receipt" (domain.md "Working days"; 003 §6, §8, §9):
 * counting starts on the working day after the day of receipt (at whatever time, and on whatever
 * kind of day, it was received) and the period ends at the end of the n-th working day,
 * 23:59:59.999 Asia/Almaty. n ≥ 1.
 */
export function dueAt(receivedAt: Date, n: number, data: CalendarData): Date {
  requireCount(n, 1);
  const receivedOn = dayNumber(toAlmatyDate(receivedAt));
  const lastDay = addWorkingDayNumbers(compile(data), receivedOn, n);
  return new Date(startOfAlmatyDayMs(lastDay + 1) - 1);
}

export interface DeadlineStatus {
  /** `now` is after the deadline. */
  overdue: boolean;
  /** The deadline ends today (Asia/Almaty), met or not. */
  dueToday: boolean;
  /**
   * Working days still available, today included when it is a working day and the deadline has
   * not passed: 1 on the last day, 0 once overdue.
   */
  workingDaysLeft: number;
  /** Working days since the deadline's last day, today included; 0 when not overdue. */
  workingDaysOverdue: number;
}

/** For "n working days left" / "overdue by n working days" displays. */
export function deadlineStatus(now: Date, due: Date, data: CalendarData): DeadlineStatus {
  const overdue = requireValidInstant(now) > requireValidInstant(due);
  const today = toAlmatyDate(now);
  const lastDay = toAlmatyDate(due);
  const dayBefore = formatDayNumber(dayNumber(today) - 1);
  return {
    overdue,
    dueToday: today === lastDay,
    workingDaysLeft: overdue ? 0 : Math.max(0, workingDaysBetween(dayBefore, lastDay, data)),
    workingDaysOverdue: overdue ? Math.max(0, workingDaysBetween(lastDay, today, data)) : 0,
  };
}
