import { type Kysely, sql } from 'kysely';
import type { Database } from './database.ts';

/**
 * Runs `work` on one connection with PostgreSQL told to plan its statements once, for any values
 * (plan_cache_mode = force_generic_plan), then puts the setting back.
 *
 * Reads go to PostgreSQL as named statements (connection.ts). For each, PostgreSQL plans anew on
 * every execution (a "custom" plan for the values given) unless it judges a plan made without the
 * values no worse. For the registry's search statements it never does, and planning one cost about
 * 1 ms, as much as running it (measured on 100,000 objects). Those statements are written so that
 * their plan does not depend on the values: the text query is parsed inside the statement, the
 * values of closed lists and the limits are written into it. So one plan serves every search of
 * the same shape.
 *
 * In a transaction the setting is SET LOCAL and holds until the transaction ends. Outside one, the
 * connection is taken from the pool for the work and the setting is reset before the connection
 * goes back, also when the work fails.
 */
export async function withGenericPlans<T>(db: Kysely<Database>, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) {
    await sql`SET LOCAL plan_cache_mode = force_generic_plan`.execute(db);
    return work(db);
  }
  return db.connection().execute(async (connection) => {
    await sql`SET plan_cache_mode = force_generic_plan`.execute(connection);
    let failed = false;
    try {
      return await work(connection);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // After a failure the connection may be gone, and that error is the one to report.
      await sql`RESET plan_cache_mode`.execute(connection).catch((error: unknown) => {
        if (!failed) throw error;
      });
    }
  });
}
