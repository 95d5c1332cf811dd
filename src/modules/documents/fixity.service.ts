/**
 * Fixity: every stored file the database refers to is re-hashed (nightly by the check worker, or
 * when an administrator asks); each missing or altered one is an alert and an audit event.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import { type Actor, recordAuditEvent } from '../audit/audit.service.ts';
import { type FixityProblem, finishFixityRun, insertFixityAlert, readFixityOverview, referencedHashes, startFixityRun } from './documents.repository.ts';
import type { DocumentStore } from './store.ts';

const FIXITY_ACTOR: Actor = { kind: 'system', label: 'system:fixity' };

export interface FixityRunResult {
  runId: string;
  filesChecked: number;
  problems: Array<{ sha256: string; problem: FixityProblem; actualSha256: string | null }>;
}

/** Re-hashes every stored file the database refers to; each missing or altered one is an alert and an audit event. */
export async function runFixityCheck(db: Kysely<Database>, store: DocumentStore): Promise<FixityRunResult> {
  const runId = await startFixityRun(db);
  const hashes = await referencedHashes(db);
  const problems: FixityRunResult['problems'] = [];
  for (const sha256 of hashes) {
    const actual = await store.rehash(sha256);
    if (actual === sha256) continue;
    const problem = actual === null ? 'missing' : 'mismatch';
    problems.push({ sha256, problem, actualSha256: actual });
    await db.transaction().execute(async (trx) => {
      await insertFixityAlert(trx, { runId, sha256, problem, actualSha256: actual });
      await recordAuditEvent(trx, { actor: FIXITY_ACTOR, entityType: 'stored_file', entityId: sha256, action: `fixity.${problem}`, after: { runId, problem, actualSha256: actual } });
    });
  }
  await finishFixityRun(db, runId, { filesChecked: hashes.length, problems: problems.length });
  return { runId, filesChecked: hashes.length, problems };
}

/** An administrator's "check now". */
export async function requestFixityCheck(db: Kysely<Database>, store: DocumentStore, actor: AuthUser | null | undefined): Promise<FixityRunResult> {
  requirePermission(actor, 'system.status');
  return runFixityCheck(db, store);
}

export interface FixityOverview {
  lastRun: { startedAt: Date; finishedAt: Date | null; filesChecked: number; problems: number } | null;
  alerts: Array<{ id: string; sha256: string; problem: FixityProblem; actualSha256: string | null; detectedAt: Date; files: Array<{ objectId: string; kind: string; version: number; slot: string; name: string }> }>;
}

export async function fixityOverview(db: Kysely<Database>, actor: AuthUser | null | undefined, limit = 100): Promise<FixityOverview> {
  requirePermission(actor, 'system.status');
  return readFixityOverview(db, limit);
}
