import { type Kysely, sql, type Transaction } from 'kysely';
import type { AuditEventRow, Database } from '../../db/database.ts';
import { auditEventHash, GENESIS_HASH, toStoredJson } from './audit-hash.ts';

/** A signed-in user, or the system acting on its own (demo data, scheduled jobs, anonymous forms). */
export type Actor =
  | { kind: 'user'; userId: string; organizationId: string | null }
  | { kind: 'system'; label: string };

/** A signed-in person as the author of an event. */
export function userActor(user: { id: string; organizationId: string | null }): Actor {
  return { kind: 'user', userId: user.id, organizationId: user.organizationId };
}

export interface AuditEventInput {
  actor: Actor;
  entityType: string;
  entityId: string;
  action: string;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
}

// One key for the whole log: appends are serialized so the chain order is the commit order.
const AUDIT_CHAIN_LOCK = 7_351_200_001;

/**
 * The only way to write the audit log. It takes a Transaction, not a Kysely, so the record is
 * committed together with the change it describes, or not at all.
 */
export async function recordAuditEvent(trx: Transaction<Database>, input: AuditEventInput): Promise<AuditEventRow> {
  await sql`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`.execute(trx);
  const last = await trx.selectFrom('audit_events').select('hash').orderBy('id', 'desc').limit(1).executeTakeFirst();
  const { rows } = await sql<{ id: string }>`SELECT nextval('audit_events_id_seq')::text AS id`.execute(trx);
  const id = rows[0]!.id;
  const record = {
    id,
    occurredAt: new Date(),
    actorUserId: input.actor.kind === 'user' ? input.actor.userId : null,
    actorOrganizationId: input.actor.kind === 'user' ? input.actor.organizationId : null,
    actorLabel: input.actor.kind === 'system' ? input.actor.label : null,
    entityType: input.entityType,
    entityId: input.entityId,
    action: input.action,
    before: toStoredJson(input.before),
    after: toStoredJson(input.after),
    requestId: input.requestId ?? null,
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const hash = auditEventHash(record);
  return trx
    .insertInto('audit_events')
    .values({
      id,
      occurred_at: record.occurredAt,
      actor_user_id: record.actorUserId,
      actor_organization_id: record.actorOrganizationId,
      actor_label: record.actorLabel,
      entity_type: record.entityType,
      entity_id: record.entityId,
      action: record.action,
      before: record.before === null ? null : JSON.stringify(record.before),
      after: record.after === null ? null : JSON.stringify(record.after),
      request_id: record.requestId,
      prev_hash: record.prevHash,
      hash,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface AuditChainReport {
  ok: boolean;
  checked: number;
  lastHash: string;
  firstBroken: { id: string; reason: 'hash_mismatch' | 'prev_hash_mismatch' } | null;
}

/** Walks the whole log in id order and recomputes every link; stops at the first broken one. */
export async function verifyAuditChain(db: Kysely<Database>, batchSize = 2000): Promise<AuditChainReport> {
  let previous = GENESIS_HASH;
  let checked = 0;
  let afterId: string | null = null;
  for (;;) {
    let query = db.selectFrom('audit_events').selectAll().orderBy(sql`id`).limit(batchSize);
    if (afterId !== null) query = query.where(sql<boolean>`id > ${afterId}::bigint`);
    const rows = await query.execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.prev_hash !== previous) {
        return { ok: false, checked, lastHash: previous, firstBroken: { id: row.id, reason: 'prev_hash_mismatch' } };
      }
      const expected = auditEventHash({
        id: row.id,
        occurredAt: row.occurred_at,
        actorUserId: row.actor_user_id,
        actorOrganizationId: row.actor_organization_id,
        actorLabel: row.actor_label,
        entityType: row.entity_type,
        entityId: row.entity_id,
        action: row.action,
        before: row.before,
        after: row.after,
        requestId: row.request_id,
        prevHash: row.prev_hash,
      });
      if (expected !== row.hash) {
        return { ok: false, checked, lastHash: previous, firstBroken: { id: row.id, reason: 'hash_mismatch' } };
      }
      previous = row.hash;
      checked += 1;
      afterId = row.id;
    }
  }
  return { ok: true, checked, lastHash: previous, firstBroken: null };
}
