import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAuditEvent, verifyAuditChain } from '../../src/modules/audit/audit.service.ts';
import { GENESIS_HASH } from '../../src/modules/audit/audit-hash.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.destroy();
});

const actor = { kind: 'system', label: 'system:test' } as const;

describe('audit log', () => {
  it('links each event to the one before it and verifies', async () => {
    const first = await database.db.transaction().execute((trx) =>
      recordAuditEvent(trx, { actor, entityType: 'organization', entityId: 'o1', action: 'organization.created', after: { name: 'A' } }),
    );
    const second = await database.db.transaction().execute((trx) =>
      recordAuditEvent(trx, {
        actor: { kind: 'user', userId: '00000000-0000-4000-8000-000000000001', organizationId: null },
        entityType: 'organization',
        entityId: 'o1',
        action: 'organization.renamed',
        before: { name: 'A' },
        after: { name: 'B', at: new Date('2026-11-22T00:00:00Z') },
        requestId: 'req-1',
      }),
    );
    expect(first.prev_hash).toBe(GENESIS_HASH);
    expect(second.prev_hash).toBe(first.hash);
    expect(second.before).toEqual({ name: 'A' });
    const report = await verifyAuditChain(database.db);
    expect(report).toMatchObject({ ok: true, checked: 2, lastHash: second.hash, firstBroken: null });
  });

  it('is written in the same transaction as the change: a rollback leaves no event', async () => {
    const before = await database.db.selectFrom('audit_events').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
    await expect(
      database.db.transaction().execute(async (trx) => {
        await recordAuditEvent(trx, { actor, entityType: 'organization', entityId: 'o2', action: 'organization.created' });
        throw new Error('the change itself failed');
      }),
    ).rejects.toThrow('the change itself failed');
    const after = await database.db.selectFrom('audit_events').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  });

  it('keeps one chain when many transactions append at once', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        database.db.transaction().execute((trx) =>
          recordAuditEvent(trx, { actor, entityType: 'object', entityId: `x${i}`, action: 'object.created', after: { i } }),
        ),
      ),
    );
    const report = await verifyAuditChain(database.db, 7);
    expect(report.ok).toBe(true);
    expect(report.checked).toBe(22);
  });

  it.each([
    ['UPDATE', sql`UPDATE audit_events SET action = 'forged'`],
    ['DELETE', sql`DELETE FROM audit_events`],
    ['TRUNCATE', sql`TRUNCATE audit_events`],
  ])('refuses %s at the database level', async (_op, statement) => {
    await expect(statement.execute(database.db)).rejects.toThrow(/append-only/);
  });

  it('reports the first broken link when a record was altered behind the triggers', async () => {
    const rows = await database.db.selectFrom('audit_events').select(['id']).orderBy(sql`id`).execute();
    const target = rows[5]!.id;
    await database.db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete`.execute(trx);
      await sql`UPDATE audit_events SET after = '{"i": 999}'::jsonb WHERE id = ${target}::bigint`.execute(trx);
      await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete`.execute(trx);
    });
    const report = await verifyAuditChain(database.db, 4);
    expect(report.ok).toBe(false);
    expect(report.firstBroken).toEqual({ id: target, reason: 'hash_mismatch' });
    expect(report.checked).toBe(5);
  });
});
