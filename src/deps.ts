import type { Kysely } from 'kysely';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { AppError } from './errors.ts';
import { createJobQueue, type JobLogger, type JobQueue, type JobSender } from './jobs/job-queue.ts';
import { defineDocumentCheckQueue } from './modules/documents/check-queue.ts';
import { documentCheckRetry, type DocumentCheckWorker, startDocumentCheckWorker } from './modules/documents/check-worker.ts';
import { createDocumentStore, type DocumentStore } from './modules/documents/store.ts';
import type { VeraPdfPool } from './modules/documents/verapdf-pool.ts';
import { createVeraPdf, type VeraPdf } from './modules/documents/verapdf.ts';
import { type AccessLog, createAccessLog } from './modules/auditing/access-log.ts';
import { startMailWorker } from './modules/notifications/mail-worker.ts';
import { startExtractWorker } from './modules/reviews/extract-worker.ts';
import { startReviewJobs } from './modules/reviews/review-jobs.ts';
import { startAuditJobs } from './modules/auditing/audit-jobs.ts';
import { createPageCache, type PageCache } from './web/page-cache.ts';

/** Everything the app needs from outside; the server builds it from config, tests build their own. */
export interface AppDependencies {
  config: Config;
  db: Kysely<Database>;
  veraPdf: VeraPdf;
  /** Uploaded documents, content-addressed, in the data directory. */
  store: DocumentStore;
  /** The process's job queue, for the jobs a change queues in its own transaction (checks, extracts). */
  jobs: JobSender;
  /** The veraPDF check worker, woken after an upload; null where none runs (a working node's worker then takes the job). */
  documentChecks: { wake(): void } | null;
  /** Rendered object pages, kept by the stamps of what they show (src/web/page-cache.ts). */
  pageCache: PageCache;
  /** Reads to register (004 §16.4), written in batches off the request path (src/modules/auditing/access-log.ts). */
  accessLog: AccessLog;
}

/** An app built without a job queue (tests of pages that queue nothing) refuses what would need one. */
const noJobQueue: JobSender = {
  async send() {
    throw new AppError('SERVICE_UNAVAILABLE', 'no job queue runs in this process');
  },
};

/** The dependencies for a config and a database, with the one-JVM-per-file veraPDF unless another is given. */
export function createAppDependencies(config: Config, db: Kysely<Database>, overrides: Partial<Omit<AppDependencies, 'config' | 'db'>> = {}): AppDependencies {
  return {
    config,
    db,
    veraPdf: overrides.veraPdf ?? createVeraPdf({ bin: config.veraPdfBin, timeoutMs: config.veraPdfTimeoutMs }),
    store: overrides.store ?? createDocumentStore(config.dataDir),
    jobs: overrides.jobs ?? noJobQueue,
    documentChecks: overrides.documentChecks ?? null,
    pageCache: overrides.pageCache ?? createPageCache(config.pageCacheBytes),
    accessLog: overrides.accessLog ?? createAccessLog(db),
  };
}

export interface BackgroundJobsOptions {
  config: Config;
  db: Kysely<Database>;
  /** The database's URL: pg-boss opens connections of its own. */
  connectionString: string;
  store: DocumentStore;
  /** The warm pool the check worker uses; null: no document checks in this process (their jobs wait for a process that runs them). */
  veraPdf: VeraPdfPool | null;
  log: JobLogger;
  /** Create the cron schedules (reminders, digest, fixity); tests run them directly. */
  schedules: boolean;
  /** Tests only: shorter polls, sweeps and retry delays. */
  timing?: { pollingIntervalSeconds: number; sweepIntervalMs: number; retryDelaySeconds: number };
}

export interface BackgroundJobs {
  jobs: JobQueue;
  documentChecks: DocumentCheckWorker | null;
  /** The queue first (running jobs finish, nothing new is fetched), then the workers' sweeps and transports. */
  stop(): Promise<void>;
}

/**
 * One job queue for the process and every module's worker on it. With JOBS_WORK=false the queues
 * are made sure of (so this process can queue jobs) and nothing is worked or scheduled here.
 */
export async function startBackgroundJobs(options: BackgroundJobsOptions): Promise<BackgroundJobs> {
  const { config, db, store, veraPdf, log, timing } = options;
  const jobs = createJobQueue({
    connectionString: options.connectionString,
    works: config.jobsWork,
    log,
    maxConnections: 4 + (veraPdf?.size ?? 0),
    ...(timing ? { pollingIntervalSeconds: timing.pollingIntervalSeconds } : {}),
  });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    await jobs.stop();
    for (const stopWorker of stops.reverse()) await stopWorker();
  };
  try {
    await jobs.start();
    const sweepIntervalMs = timing?.sweepIntervalMs;
    const mail = await startMailWorker({ jobs, db, smtpUrl: config.smtpUrl, from: config.mailFrom, log, ...(sweepIntervalMs ? { sweepIntervalMs } : {}) });
    stops.push(() => mail.stop());
    let documentChecks: DocumentCheckWorker | null = null;
    if (veraPdf) {
      documentChecks = await startDocumentCheckWorker({
        jobs,
        db,
        store,
        veraPdf,
        concurrency: veraPdf.size,
        log,
        fixitySchedule: options.schedules,
        ...(sweepIntervalMs ? { sweepIntervalMs } : {}),
        ...(timing ? { retryDelaySeconds: timing.retryDelaySeconds } : {}),
      });
      const checks = documentChecks;
      stops.push(() => checks.stop());
    } else {
      await defineDocumentCheckQueue(jobs, documentCheckRetry());
    }
    await startReviewJobs({ jobs, db, baseUrl: config.baseUrl, log, schedule: options.schedules });
    await startAuditJobs({ jobs, db, log, schedule: options.schedules });
    const extracts = await startExtractWorker({ jobs, db, store, log, ...(sweepIntervalMs ? { sweepIntervalMs } : {}), ...(timing ? { retryDelaySeconds: timing.retryDelaySeconds } : {}) });
    stops.push(() => extracts.stop());
    return { jobs, documentChecks, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
