/**
 * Runs veraPDF over uploaded PDF originals, and the daily fixity check, on the process's job queue.
 *
 * As for mail (notifications/mail-worker.ts), the table is the source of truth: document_files
 * rows in queued / checking / check_failed are what is left to check. An upload queues its check
 * in its own transaction (check-queue.ts); a sweep, at start, every few seconds and whenever an
 * upload wakes it, queues one job per such row that has none (singletonKey = the file's id, so a
 * file never has two jobs) — the safety net for jobs lost or given up. The worker takes at most
 * twice as many jobs at once as the veraPDF pool has JVMs (the pool queues the second and hands it
 * to a JVM ahead): the rest wait in the queue, which is the back-pressure.
 * A crash or timeout of veraPDF fails the job, and pg-boss retries it with backoff; after the last
 * retry the file stays "could not be checked" (check_failed) until an administrator's recheck or
 * the next start — it is never accepted unchecked.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { type JobLogger, type JobQueue, type RetryPolicy, retryLater, startSweep } from '../../jobs/job-queue.ts';
import { type CheckJob, DOCUMENT_CHECK_QUEUE, documentCheckQueueSettings } from './check-queue.ts';
import { MAX_CHECK_ATTEMPTS, pendingDocumentFiles, runDocumentCheck } from './document-check.service.ts';
import { runFixityCheck } from './fixity.service.ts';
import type { DocumentStore } from './store.ts';
import type { VeraPdf } from './verapdf.ts';

export const FIXITY_QUEUE = 'document-fixity';
/** Every night at 03:00 in Almaty, when nobody uploads. */
export const FIXITY_CRON = '0 3 * * *';

export type CheckLogger = JobLogger;

export interface DocumentCheckWorker {
  /** Looks for files to check now (after an upload) instead of at the next sweep. */
  wake(): void;
  stop(): Promise<void>;
}

export interface DocumentCheckWorkerOptions {
  jobs: JobQueue;
  db: Kysely<Database>;
  store: DocumentStore;
  veraPdf: VeraPdf;
  /** How many files are checked at once: the size of the veraPDF pool. */
  concurrency: number;
  log: CheckLogger;
  sweepIntervalMs?: number;
  retryDelaySeconds?: number;
  /** Schedule the nightly fixity check (off in tests, which run it directly). */
  fixitySchedule?: boolean;
}

/** Up to MAX_CHECK_ATTEMPTS attempts, from 30 s apart to hourly. */
export function documentCheckRetry(retryDelaySeconds = 30): RetryPolicy {
  return { retryLimit: MAX_CHECK_ATTEMPTS - 1, retryDelaySeconds, retryBackoff: true, retryDelayMaxSeconds: 3600 };
}

export async function startDocumentCheckWorker(options: DocumentCheckWorkerOptions): Promise<DocumentCheckWorker> {
  const { jobs, db, store, veraPdf, log } = options;
  const removed = await store.sweepIncoming();
  if (removed > 0) log.info({ removed }, 'removed unfinished uploads');

  const worker = await jobs.work<CheckJob>(
    DOCUMENT_CHECK_QUEUE,
    // Twice the JVMs: each is handed its next file while Node still reads the last report (the pool's prefetch).
    { ...documentCheckQueueSettings(documentCheckRetry(options.retryDelaySeconds)), concurrency: options.concurrency * 2 },
    async (job) => {
      const outcome = await runDocumentCheck({ db, store, veraPdf }, job.data.fileId, { finalAttempt: job.finalAttempt });
      if (outcome.outcome === 'retry') return retryLater('veraPDF could not check the file', { fileId: job.data.fileId, error: outcome.error });
      if (outcome.outcome === 'failed') log.error({ fileId: job.data.fileId, error: outcome.error }, 'veraPDF could not check the file; left "could not be checked"');
      return outcome;
    },
  );
  if (options.fixitySchedule ?? true) {
    await jobs.work(FIXITY_QUEUE, { policy: 'singleton' }, async () => {
      const result = await runFixityCheck(db, store);
      if (result.problems.length > 0) log.error({ problems: result.problems }, 'fixity check found missing or altered files');
      else log.info({ files: result.filesChecked }, 'fixity check passed');
      return result;
    });
    await jobs.schedule(FIXITY_QUEUE, FIXITY_CRON);
  }
  const sweep = await startSweep(jobs, worker, {
    what: 'documents to check',
    intervalMs: options.sweepIntervalMs ?? 5000,
    log,
    queueMissing: async () =>
      jobs.insert(DOCUMENT_CHECK_QUEUE, (await pendingDocumentFiles(db)).map((fileId) => ({ data: { fileId } satisfies CheckJob, singletonKey: fileId }))),
  });
  if (jobs.works) log.info({ concurrency: options.concurrency }, 'document check worker started');
  return {
    wake() {
      // The upload queued its job: the worker fetches it now rather than at its next poll.
      worker.wake();
      sweep.now();
    },
    stop: () => sweep.stop(),
  };
}
