import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { pendingMigrations } from '../../db/migrator.ts';
import type { VeraPdf } from '../documents/verapdf.ts';
import { databaseAnswers } from './health.repository.ts';

export type CheckStatus = 'ok' | 'failing';

export interface ReadinessReport {
  ready: boolean;
  checks: {
    database: { status: CheckStatus; detail?: string };
    migrations: { status: CheckStatus; pending?: string[]; detail?: string };
    verapdf: { status: CheckStatus; version?: string; detail?: string };
  };
}

const VERAPDF_RECHECK_MS = 60_000;

/**
 * Readiness: the database answers, its schema is current, and veraPDF runs. veraPDF is probed at
 * most once a minute because a probe starts a JVM; a missing veraPDF does not stop the portal, it
 * only keeps documents in "not checked" and shows here and on the admin page.
 */
export function createReadinessProbe(deps: { db: Kysely<Database>; veraPdf: Pick<VeraPdf, 'version'> }): () => Promise<ReadinessReport> {
  let veraPdfCache: { at: number; result: ReadinessReport['checks']['verapdf'] } | null = null;

  async function checkVeraPdf(): Promise<ReadinessReport['checks']['verapdf']> {
    if (veraPdfCache && Date.now() - veraPdfCache.at < VERAPDF_RECHECK_MS) return veraPdfCache.result;
    let result: ReadinessReport['checks']['verapdf'];
    try {
      result = { status: 'ok', version: await deps.veraPdf.version() };
    } catch (error) {
      result = { status: 'failing', detail: (error as Error).message };
    }
    veraPdfCache = { at: Date.now(), result };
    return result;
  }

  return async () => {
    const checks: ReadinessReport['checks'] = {
      database: { status: 'ok' },
      migrations: { status: 'ok' },
      verapdf: { status: 'ok' },
    };
    const veraPdf = checkVeraPdf();
    try {
      await databaseAnswers(deps.db);
      const pending = await pendingMigrations(deps.db);
      if (pending.length > 0) checks.migrations = { status: 'failing', pending };
    } catch (error) {
      checks.database = { status: 'failing', detail: (error as Error).message };
      checks.migrations = { status: 'failing', detail: 'database unreachable' };
    }
    checks.verapdf = await veraPdf;
    const ready = Object.values(checks).every((check) => check.status === 'ok');
    return { ready, checks };
  };
}
