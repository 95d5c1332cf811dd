/**
 * The audit module's SQL: the only writer of audit_events (the database refuses UPDATE, DELETE and
 * TRUNCATE on it). Rows come back as the hashed record plus its hash, never as the table's row type.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AuditEventRow, Database } from '../../db/database.ts';
import type { HashedAuditFields } from './audit-hash.ts';


/** A stored event: exactly the hashed fields, and the hash stored with them. */
export interface StoredAuditEvent extends HashedAuditFields {
  hash: string;
}

// One key for the whole log: appends are serialized so the chain order is the commit order.
const AUDIT_CHAIN_LOCK = 7_351_200_001;

/** Serializes appends until the transaction ends. */
export async function lockAuditChain(trx: Transaction<Database>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`.execute(trx);
}

/** The hash of the newest event (null for an empty log); call it under lockAuditChain. */
export async function lastAuditHash(trx: Transaction<Database>): Promise<string | null> {
  const last = await trx.selectFrom('audit_events').select('hash').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return last?.hash ?? null;
}

/** The id the next event will have, taken before it is hashed (the id is part of the hash). */
export async function nextAuditEventId(trx: Transaction<Database>): Promise<string> {
  const { rows } = await sql<{ id: string }>`SELECT nextval('audit_events_id_seq')::text AS id`.execute(trx);
  return rows[0]!.id;
}

export async function insertAuditEvent(trx: Transaction<Database>, event: StoredAuditEvent): Promise<AuditEventRow> {
  return trx
    .insertInto('audit_events')
    .values({
      id: event.id,
      occurred_at: event.occurredAt,
      actor_user_id: event.actorUserId,
      actor_organization_id: event.actorOrganizationId,
      actor_label: event.actorLabel,
      entity_type: event.entityType,
      entity_id: event.entityId,
      action: event.action,
      before: event.before === null ? null : JSON.stringify(event.before),
      after: event.after === null ? null : JSON.stringify(event.after),
      request_id: event.requestId,
      prev_hash: event.prevHash,
      hash: event.hash,
    })
    .returning(['id', 'occurred_at', 'actor_user_id', 'actor_organization_id', 'actor_label', 'entity_type', 'entity_id', 'action', 'before', 'after', 'request_id', 'prev_hash', 'hash'])
    .executeTakeFirstOrThrow();
}

/** Up to `limit` events after `afterId` (from the start when null), in id order. */
export async function auditEventsAfter(db: Kysely<Database>, afterId: string | null, limit: number): Promise<StoredAuditEvent[]> {
  let query = db
    .selectFrom('audit_events')
    .select(['id', 'occurred_at', 'actor_user_id', 'actor_organization_id', 'actor_label', 'entity_type', 'entity_id', 'action', 'before', 'after', 'request_id', 'prev_hash', 'hash'])
    .orderBy(sql`id`)
    .limit(limit);
  if (afterId !== null) query = query.where(sql<boolean>`id > ${afterId}::bigint`);
  const rows = await query.execute();
  return rows.map(toStoredAuditEvent);
}

/** A row of audit_events as the hashed record and its hash (the search words are not part of it). */
export function toStoredAuditEvent(row: Omit<AuditEventRow, 'details_tsv'>): StoredAuditEvent {
  return {
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
    hash: row.hash,
  };
}
