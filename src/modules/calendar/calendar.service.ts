import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { recordAuditEvent } from '../audit/audit.service.ts';
import { buildKazakhstanCalendarData } from './kz-calendar-data.ts';
import { type CalendarData, findCalendarDataProblems, type YearData } from './working-days.ts';

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
      const inserted = await trx
        .insertInto('calendar_years')
        .values({ year, data: JSON.stringify(yearData) })
        .onConflict((c) => c.column('year').doNothing())
        .returning('year')
        .executeTakeFirst();
      if (inserted) {
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
  const stamp = await db
    .selectFrom('calendar_years')
    .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.max('updated_at').as('latest')])
    .executeTakeFirstOrThrow();
  const key = `${stamp.count}:${stamp.latest ? new Date(stamp.latest as Date).toISOString() : ''}`;
  if (cache?.key === key) return cache.data;
  const rows = await db.selectFrom('calendar_years').select(['year', 'data']).orderBy('year').execute();
  const data: CalendarData = { years: Object.fromEntries(rows.map((row) => [row.year, row.data as YearData])) };
  const problems = findCalendarDataProblems(data);
  if (problems.length > 0) throw new Error(`the stored working-day calendar is inconsistent: ${JSON.stringify(problems[0])}`);
  cache = { key, data: Object.freeze(data) };
  return cache.data;
}
