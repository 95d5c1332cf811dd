import { describe, expect, it } from 'vitest';
import { auditEventHash, GENESIS_HASH, type HashedAuditFields } from '../../src/modules/audit/audit-hash.ts';

const base: HashedAuditFields = {
  id: '1',
  occurredAt: new Date('2026-11-22T08:00:00.123Z'),
  actorUserId: null,
  actorOrganizationId: null,
  actorLabel: 'system:test',
  entityType: 'organization',
  entityId: 'b7c0',
  action: 'organization.created',
  before: null,
  after: { name_ru: 'Министерство', bin: '990340001230', nested: { b: 1, a: [1, 2] } },
  requestId: null,
  prevHash: GENESIS_HASH,
};

describe('audit event hash', () => {
  it('is a SHA-256 hex digest, stable for the same content', () => {
    const hash = auditEventHash(base);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(auditEventHash({ ...base })).toBe(hash);
  });

  it('does not depend on key order (jsonb reorders keys)', () => {
    const reordered = { ...base, after: { nested: { a: [1, 2], b: 1 }, bin: '990340001230', name_ru: 'Министерство' } };
    expect(auditEventHash(reordered)).toBe(auditEventHash(base));
  });

  it('treats a Date inside before/after as the ISO string jsonb stores', () => {
    const withDate = { ...base, after: { at: new Date('2026-01-02T03:04:05.000Z') } };
    const withString = { ...base, after: { at: '2026-01-02T03:04:05.000Z' } };
    expect(auditEventHash(withDate)).toBe(auditEventHash(withString));
  });

  it.each([
    ['id', { id: '2' }],
    ['time', { occurredAt: new Date('2026-11-22T08:00:00.124Z') }],
    ['actor', { actorLabel: 'system:other' }],
    ['action', { action: 'organization.updated' }],
    ['after', { after: { name_ru: 'Министерство!' } }],
    ['before', { before: {} }],
    ['previous hash', { prevHash: 'f'.repeat(64) }],
    ['request id', { requestId: 'r-1' }],
  ])('changes when the %s changes', (_label, change) => {
    expect(auditEventHash({ ...base, ...change })).not.toBe(auditEventHash(base));
  });
});
