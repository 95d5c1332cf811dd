/**
 * Runs veraPDF over uploaded PDF originals, and the daily fixity check, through pg-boss.
 *
 * As for mail (notifications/mail-worker.ts), the table is the source of truth: document_files
 * rows in queued / checking / check_failed are what is left to check. A sweep queues one job per
 * such row (singletonKey = the file's id, so a file never has two jobs), at start, every few
 * seconds and whenever an upload wakes it. The worker takes at most twice as many jobs at once as
 * the veraPDF pool has JVMs (localConcurrency; the pool queues the second and hands it to a JVM
 * ahead): the rest wait in the queue, which is the back-pressure.
 * A crash or timeout of veraPDF fails the job, and pg-boss retries it with backoff; after the last
 * retry the file stays "could not be checked" (check_failed) until an administrator's recheck or
 * the next start — it is never accepted unchecked.
 */
import type { Kysely } from 'kysely';
import { type JobResult, type JobWithMetadata, PgBoss } from 'pg-boss';
import type { Database } from '../../db/database.ts';
import { PG_BOSS_SCHEMA } from '../notifications/mail-worker.ts';
import { MAX_CHECK_ATTEMPTS, pendingDocumentFiles, runDocumentCheck, runFixityCheck } from './documents.service.ts';
import type { DocumentStore } from './store.ts';
import type { VeraPdf } from './verapdf.ts';

export const DOCUMENT_CHECK_QUEUE = 'document-check';
export const FIXITY_QUEUE = 'document-fixity';
/** Every night at 03:00 in Almaty, when nobody uploads. */
export const FIXITY_CRON = '0 3 * * *';

export interface CheckLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface DocumentCheckWorker {
  /** Looks for files to check now (after an upload) instead of at the next sweep. */
  wake(): void;
  stop(): Promise<void>;
}

export interface DocumentCheckWorkerOptions {
  connectionString: string;
  db: Kysely<Database>;
  store: DocumentStore;
  veraPdf: VeraPdf;
  /** How many files are checked at once: the size of the veraPDF pool. */
  concurrency: number;
  log: CheckLogger;
  sweepIntervalMs?: number;
  pollingIntervalSeconds?: number;
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** Schedule the nightly fixity check (off in tests, which run it directly). */
  fixitySchedule?: boolean;
}

interface CheckJob {
  fileId: string;
}

export async function startDocumentCheckWorker(options: DocumentCheckWorkerOptions): Promise<DocumentCheckWorker> {
  const { db, store, veraPdf, log } = options;
  const removed = await store.sweepIncoming();
  if (removed > 0) log.info({ removed }, 'removed unfinished uploads');
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: PG_BOSS_SCHEMA,
    max: 2 + options.concurrency,
    application_name: 'architecture-portal-documents',
    schedule: options.fixitySchedule ?? true,
  });
  boss.on('error', (error) => log.error({ err: error }, 'document check queue error'));

  async function handle(jobs: Array<JobWithMetadata<CheckJob>>): Promise<JobResult[]> {
    const results: JobResult[] = [];
    for (const job of jobs) {
      try {
        const outcome = await runDocumentCheck({ db, store, veraPdf }, job.data.fileId, { finalAttempt: job.retryCount >= job.retryLimit });
        if (outcome.outcome === 'retry') {
          log.warn({ fileId: job.data.fileId, attempt: job.retryCount + 1, error: outcome.error }, 'veraPDF could not check the file; will retry');
          results.push({ id: job.id, status: 'failed', output: { error: outcome.error } });
          continue;
        }
        if (outcome.outcome === 'failed') log.error({ fileId: job.data.fileId, error: outcome.error }, 'veraPDF could not check the file; left "could not be checked"');
        results.push({ id: job.id, status: 'completed', output: outcome });
      } catch (error) {
        log.error({ err: error, fileId: job.data.fileId }, 'document check job failed');
        results.push({ id: job.id, status: 'failed', output: { error: String(error) } });
      }
    }
    return results;
  }

  let workerId: string;
  try {
    await boss.start();
    await boss.createQueue(DOCUMENT_CHECK_QUEUE, { policy: 'exclusive' });
    await boss.updateQueue(DOCUMENT_CHECK_QUEUE, {
      retryLimit: options.retryLimit ?? MAX_CHECK_ATTEMPTS - 1,
      retryDelay: options.retryDelaySeconds ?? 30,
      retryBackoff: true,
      retryDelayMax: 3600,
      // veraPDF's own timeout kills a stuck JVM long before this.
      expireInSeconds: 15 * 60,
    });
    workerId = await boss.work(
      DOCUMENT_CHECK_QUEUE,
      {
        includeMetadata: true,
        perJobResults: true,
        batchSize: 1,
        // Twice the JVMs: each is handed its next file while Node still reads the last report (the pool's prefetch).
        localConcurrency: Math.max(1, options.concurrency * 2),
        pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2,
      },
      handle,
    );
    if (options.fixitySchedule ?? true) {
      await boss.createQueue(FIXITY_QUEUE, { policy: 'singleton' });
      await boss.schedule(FIXITY_QUEUE, FIXITY_CRON, {}, { tz: 'Asia/Almaty' });
      await boss.work(FIXITY_QUEUE, async () => {
        const result = await runFixityCheck(db, store);
        if (result.problems.length > 0) log.error({ problems: result.problems }, 'fixity check found missing or altered files');
        else log.info({ files: result.filesChecked }, 'fixity check passed');
        return result;
      });
    }
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw error;
  }

  let sweeping: Promise<void> | null = null;
  let again = false;
  function sweep(): Promise<void> {
    if (sweeping) {
      again = true;
      return sweeping;
    }
    sweeping = (async () => {
      const ids = await pendingDocumentFiles(db);
      if (ids.length === 0) return;
      const queued = await boss.insert(
        DOCUMENT_CHECK_QUEUE,
        ids.map((fileId) => ({ data: { fileId } satisfies CheckJob, singletonKey: fileId })),
        { returnId: true },
      );
      if ((queued?.length ?? 0) > 0) boss.notifyWorker(workerId);
    })()
      .catch((error: unknown) => log.error({ err: error }, 'looking for documents to check failed'))
      .finally(() => {
        sweeping = null;
        if (again && !stopped) {
          again = false;
          void sweep();
        }
      });
    return sweeping;
  }
  let stopped = false;
  await sweep();
  const timer = setInterval(() => void sweep(), options.sweepIntervalMs ?? 5000);
  timer.unref();
  log.info({ concurrency: options.concurrency }, 'document check worker started');

  let stopping: Promise<void> | null = null;
  return {
    wake() {
      if (!stopped) void sweep();
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearInterval(timer);
        await sweeping;
        await boss.stop({ graceful: true, timeout: 30_000 });
      })();
      return stopping;
    },
  };
}
