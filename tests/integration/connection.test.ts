import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../src/db/connection.ts';
import { withGenericPlans } from '../../src/db/generic-plans.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/** Reads go as named statements, planned once per connection; writes and `prepare: false` go unnamed. */

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.destroy();
});

async function preparedOnOneConnection(handle: DatabaseHandle, run: (db: DatabaseHandle['db']) => Promise<unknown>): Promise<string[]> {
  return handle.db.connection().execute(async (db) => {
    await run(db as DatabaseHandle['db']);
    const { rows } = await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements ORDER BY prepare_time`.execute(db);
    return rows.map((row) => row.statement);
  });
}

describe('named statements', () => {
  it('prepares a read once on its connection and runs it again by name, with other values', async () => {
    const statements = await preparedOnOneConnection(database, async (db) => {
      for (const email of ['a@test.example', 'b@test.example', 'a@test.example']) {
        expect(await db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);
      }
      await db.insertInto('organizations').values({ bin: '990340001230', kind: 'central_state_body', name_kk: 'А', name_ru: 'А', name_en: null }).execute();
    });
    expect(statements.filter((text) => text.includes('from "users"'))).toHaveLength(1);
    expect(statements.some((text) => /insert into "organizations"/i.test(text))).toBe(false);
  });

  it('sends everything unnamed when told not to (a pooler in transaction mode)', async () => {
    const plain = connectDatabase(database.url, { max: 1, prepare: false });
    try {
      const statements = await preparedOnOneConnection(plain, (db) => db.selectFrom('users').select('id').execute());
      expect(statements).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});

describe('generic plans (the registry search)', () => {
  const planCacheMode = async (db: DatabaseHandle['db']) => (await sql<{ mode: string }>`SELECT current_setting('plan_cache_mode') AS mode`.execute(db)).rows[0]!.mode;

  it('plans the work once for any values, and the connection goes back to the pool as it was', async () => {
    const single = connectDatabase(database.url, { max: 1 });
    try {
      const during = await withGenericPlans(single.db, async (db) => {
        // The same named statement six times: past PostgreSQL's five custom plans, still no custom plan.
        for (const email of ['a@x.example', 'b@x.example', 'c@x.example', 'd@x.example', 'e@x.example', 'f@x.example']) {
          await db.selectFrom('users').select('id').where('email', '=', email).execute();
        }
        const { rows } = await sql<{ generic: string; custom: string }>`
          SELECT generic_plans AS generic, custom_plans AS custom FROM pg_prepared_statements WHERE statement LIKE 'select "id" from "users" where%'`.execute(db);
        return { mode: await planCacheMode(db), plans: rows };
      });
      expect(during.mode).toBe('force_generic_plan');
      expect(during.plans).toEqual([{ generic: '6', custom: '0' }]);
      // max: 1, so this is the same connection.
      expect(await planCacheMode(single.db)).toBe('auto');
    } finally {
      await single.close();
    }
  });

  it('puts the setting back when the work fails, and reports the work\'s error', async () => {
    const single = connectDatabase(database.url, { max: 1 });
    try {
      await expect(withGenericPlans(single.db, async (db) => sql`SELECT no_such_column FROM users`.execute(db))).rejects.toThrow(/no_such_column/);
      expect(await planCacheMode(single.db)).toBe('auto');
    } finally {
      await single.close();
    }
  });

  it('in a transaction, holds until the transaction ends', async () => {
    const single = connectDatabase(database.url, { max: 1 });
    try {
      const trx = await single.db.startTransaction().execute();
      expect(await withGenericPlans(trx, planCacheMode)).toBe('force_generic_plan');
      expect(await planCacheMode(trx)).toBe('force_generic_plan');
      await trx.commit().execute();
      expect(await planCacheMode(single.db)).toBe('auto');
    } finally {
      await single.close();
    }
  });
});

describe('the search columns', () => {
  it('are kept in the row (STORAGE MAIN), so the registry window never reads them from TOAST', async () => {
    const { rows } = await sql<{ attname: string; attstorage: string }>`
      SELECT attname, attstorage FROM pg_attribute
      WHERE attrelid = 'objects'::regclass AND attname IN ('search_text', 'search_ru', 'search_kk', 'passport') ORDER BY attname`.execute(database.db);
    expect(rows).toEqual([
      { attname: 'passport', attstorage: 'x' },
      { attname: 'search_kk', attstorage: 'm' },
      { attname: 'search_ru', attstorage: 'm' },
      { attname: 'search_text', attstorage: 'm' },
    ]);
  });
});
