import type { Kysely, Transaction } from 'kysely';
import type { AuditEventRow, Database } from '../../db/database.ts';
import { auditEventHash, GENESIS_HASH, type HashedAuditFields, toStoredJson } from './audit-hash.ts';
import { auditEventsAfter, insertAuditEvent, lastAuditHash, lockAuditChain, nextAuditEventId } from './audit.repository.ts';

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

/**
 * The only way to write the audit log. It takes a Transaction, not a Kysely, so the record is
 * committed together with the change it describes, or not at all.
 */
export async function recordAuditEvent(trx: Transaction<Database>, input: AuditEventInput): Promise<AuditEventRow> {
  await lockAuditChain(trx);
  const prevHash = (await lastAuditHash(trx)) ?? GENESIS_HASH;
  const record: HashedAuditFields = {
    id: await nextAuditEventId(trx),
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
    prevHash,
  };
  return insertAuditEvent(trx, { ...record, hash: auditEventHash(record) });
}

export interface AuditChainReport {
  ok: boolean;
  checked: number;
  lastHash: string;
  firstBroken: { id: string; reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'published_head_mismatch' | 'published_head_missing'; day?: string } | null;
}

/** A head of the chain as published (audit_chain_heads, or a copy kept outside the database). */
export interface ChainHead {
  day: string;
  lastEventId: string;
  eventCount: number;
  headHash: string;
}

/**
 * Walks the whole log in id order and recomputes every link; stops at the first broken one. With
 * published heads it also checks that the event each head names is still there, still the n-th,
 * with the published hash: a rewritten history whose own links were all recomputed still
 * disagrees with what was published before the rewrite.
 */
export async function verifyAuditChain(db: Kysely<Database>, batchSize = 2000, heads: readonly ChainHead[] = []): Promise<AuditChainReport> {
  const pending = new Map(heads.map((head) => [head.lastEventId, head]));
  let previous = GENESIS_HASH;
  let checked = 0;
  let afterId: string | null = null;
  for (;;) {
    const rows = await auditEventsAfter(db, afterId, batchSize);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.prevHash !== previous) {
        return { ok: false, checked, lastHash: previous, firstBroken: { id: row.id, reason: 'prev_hash_mismatch' } };
      }
      const { hash, ...fields } = row;
      const expected = auditEventHash(fields);
      if (expected !== hash) {
        return { ok: false, checked, lastHash: previous, firstBroken: { id: row.id, reason: 'hash_mismatch' } };
      }
      previous = hash;
      checked += 1;
      afterId = row.id;
      const head = pending.get(row.id);
      if (head) {
        if (head.headHash !== hash || head.eventCount !== checked) {
          return { ok: false, checked, lastHash: previous, firstBroken: { id: row.id, reason: 'published_head_mismatch', day: head.day } };
        }
        pending.delete(row.id);
      }
    }
  }
  const missing = [...pending.values()].sort((a, b) => a.day.localeCompare(b.day))[0];
  if (missing) return { ok: false, checked, lastHash: previous, firstBroken: { id: missing.lastEventId, reason: 'published_head_missing', day: missing.day } };
  return { ok: true, checked, lastHash: previous, firstBroken: null };
}
