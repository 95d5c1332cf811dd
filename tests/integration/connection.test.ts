import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../src/db/connection.ts';
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
