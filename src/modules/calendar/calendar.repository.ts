/** All SQL on `calendar_years`, the only writer of the table. */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import { personName } from '../../access/permissions.ts';
import type { CalendarData, YearData } from './working-days.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export interface StoredCalendarYear {
  year: number;
  data: YearData;
  updatedAt: Date;
}

export interface EditedCalendarYear extends StoredCalendarYear {
  /** Who saved it last; null for the data the portal was built with. */
  updatedBy: string | null;
}

/**
 * The time of the write itself, not of the transaction's start (now()): calendar readers cache by
 * the latest updated_at, which must grow with every save even when saves queue behind the lock.
 */
const writeTime = sql<never>`clock_timestamp()`;

export function calendarOf(years: ReadonlyArray<{ year: number; data: YearData }>): CalendarData {
  return { years: Object.fromEntries(years.map((entry) => [entry.year, entry.data])) };
}

/** Changes whenever a year is added or saved: the key of the readers' cache. */
export async function calendarVersion(db: Executor): Promise<string> {
  const stamp = await db
    .selectFrom('calendar_years')
    .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.max('updated_at').as('latest')])
    .executeTakeFirstOrThrow();
  return `${stamp.count}:${stamp.latest ? new Date(stamp.latest as Date).toISOString() : ''}`;
}

export async function readCalendarYears(db: Executor): Promise<StoredCalendarYear[]> {
  const rows = await db.selectFrom('calendar_years').select(['year', 'data', 'updated_at']).orderBy('year').execute();
  return rows.map((row) => ({ year: row.year, data: row.data as YearData, updatedAt: row.updated_at }));
}

export async function readEditedCalendarYears(db: Executor): Promise<EditedCalendarYear[]> {
  const rows = await db
    .selectFrom('calendar_years')
    .leftJoin('users', 'users.id', 'calendar_years.updated_by')
    .select(['calendar_years.year', 'calendar_years.data', 'calendar_years.updated_at', 'users.surname', 'users.given_name', 'users.patronymic'])
    .orderBy('calendar_years.year')
    .execute();
  return rows.map((row) => ({ year: row.year, data: row.data as YearData, updatedAt: row.updated_at, updatedBy: personName(row) }));
}

/** One calendar edit at a time: every edit checks all years together. */
export async function lockCalendar(trx: Transaction<Database>): Promise<void> {
  await sql`LOCK TABLE calendar_years IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
}

export async function insertCalendarYear(trx: Transaction<Database>, year: number, data: YearData, updatedBy: string): Promise<void> {
  await trx.insertInto('calendar_years').values({ year, data: JSON.stringify(data), updated_at: writeTime, updated_by: updatedBy }).execute();
}

/** False when the year is there already (an administrator's data is never overwritten). */
export async function insertCalendarYearIfAbsent(trx: Transaction<Database>, year: number, data: YearData): Promise<boolean> {
  const inserted = await trx
    .insertInto('calendar_years')
    .values({ year, data: JSON.stringify(data) })
    .onConflict((c) => c.column('year').doNothing())
    .returning('year')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function updateCalendarYearData(trx: Transaction<Database>, year: number, data: YearData, updatedBy: string): Promise<void> {
  await trx
    .updateTable('calendar_years')
    .set({ data: JSON.stringify(data), updated_at: writeTime, updated_by: updatedBy })
    .where('year', '=', year)
    .execute();
}
