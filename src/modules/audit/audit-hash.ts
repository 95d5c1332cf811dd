import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The chain starts from this value: the first event's prev_hash. */
export const GENESIS_HASH = '0'.repeat(64);

/** Exactly the fields that are hashed; together they are the whole audit record. */
export interface HashedAuditFields {
  id: string;
  occurredAt: Date;
  actorUserId: string | null;
  actorOrganizationId: string | null;
  actorLabel: string | null;
  entityType: string;
  entityId: string;
  action: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
  prevHash: string;
}

/**
 * JSON values as PostgreSQL's jsonb will give them back: dates become ISO strings, undefined
 * members disappear. Hashing this form means the hash computed on insert equals the hash
 * recomputed from the stored row.
 */
export function toStoredJson(value: unknown): unknown {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
}

/** SHA-256 over the RFC 8785 canonical JSON of the record (key order and number format fixed). */
export function auditEventHash(fields: HashedAuditFields): string {
  const canonical = canonicalize({
    v: 1,
    id: fields.id,
    occurredAt: fields.occurredAt.toISOString(),
    actorUserId: fields.actorUserId,
    actorOrganizationId: fields.actorOrganizationId,
    actorLabel: fields.actorLabel,
    entityType: fields.entityType,
    entityId: fields.entityId,
    action: fields.action,
    before: toStoredJson(fields.before),
    after: toStoredJson(fields.after),
    requestId: fields.requestId,
    prevHash: fields.prevHash,
  });
  if (canonical === undefined) throw new Error('audit event could not be serialized');
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
