/** The health module's SQL: whether the database answers at all. */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/database.ts';

export async function databaseAnswers(db: Kysely<Database>): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
