/**
 * The portal's one job queue: a single pg-boss instance per process on the portal's database (its
 * own schema), started by the composition root and handed to every module that queues or works
 * jobs (documents' checks, mail, the review's schedules, the extracts).
 *
 * Conventions every queue keeps:
 *  - A job is queued in the transaction of the change that calls for it (`send(trx, …)`, through
 *    pg-boss's `db` option): it exists exactly when the change was committed, so no step "after
 *    commit" can be lost with a crash. Each module's table stays the source of truth and a sweep of
 *    its own queues what a lost job left undone.
 *  - Handlers are safe to run again: pg-boss retries a job whose process died (it expires) or that
 *    failed, with the queue's retry policy.
 *  - `work` logs every failure the same way: a handler that throws fails the job (logged as an
 *    error, retried); one that returns `retryLater(…)` fails it with a warning (an expected,
 *    passing trouble, such as an SMTP server that does not answer).
 *  - A process started with `works: false` (JOBS_WORK=false, a web-only node) queues jobs and
 *    runs none: its `work` only makes sure the queue exists, and it fires no schedules.
 */
import type { Kysely, Transaction } from 'kysely';
import { fromKysely, type JobResult, type JobWithMetadata, PgBoss } from 'pg-boss';
import type { Database } from '../db/database.ts';

/** pg-boss keeps its tables in a schema of its own in the portal's database. */
export const PG_BOSS_SCHEMA = 'pgboss';
/** Schedules are written in the portal's time. */
const TIME_ZONE = 'Asia/Almaty';

/** The part of pino (and fastify's logger) the queue and its workers use. */
export interface JobLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retryLimit: number;
  /** First delay; with backoff each retry waits about twice as long as the one before. */
  retryDelaySeconds: number;
  retryBackoff: boolean;
  retryDelayMaxSeconds: number;
}

export interface QueueSettings {
  /** exclusive: one job per singletonKey waiting or running; singleton: one job of the queue running at a time. */
  policy: 'standard' | 'exclusive' | 'singleton';
  retry?: RetryPolicy;
  /** How long a job may run before it counts as lost with its process and is retried (pg-boss's default: 15 min). */
  expireInSeconds?: number;
}

export interface WorkSettings extends QueueSettings {
  /** Jobs fetched at once (default 1). */
  batchSize?: number;
  /** Fetches running at once in this process (default 1). */
  concurrency?: number;
}

export interface RunningJob<T> {
  id: string;
  data: T;
  /** 1 for the first attempt. */
  attempt: number;
  /** No retry follows if this attempt fails. */
  finalAttempt: boolean;
}

/** The handler's answer that this attempt failed for a passing reason: logged as a warning, retried. */
export class RetryLater {
  readonly reason: string;
  readonly details: object;
  constructor(reason: string, details: object = {}) {
    this.reason = reason;
    this.details = details;
  }
}

export function retryLater(reason: string, details: object = {}): RetryLater {
  return new RetryLater(reason, details);
}

export type JobHandler<T> = (job: RunningJob<T>) => Promise<unknown>;

export interface JobWorker {
  /** Looks for due jobs now rather than at the next poll. */
  wake(): void;
}

/** What a module needs to queue a job as part of its own transaction. */
export interface JobSender {
  send(db: Kysely<Database> | Transaction<Database>, queue: string, data: object, options?: { singletonKey?: string }): Promise<void>;
}

export interface JobQueue extends JobSender {
  /** This process runs workers and schedules (JOBS_WORK). */
  readonly works: boolean;
  /** Connects and installs or migrates pg-boss's schema; every other call waits for it. */
  start(): Promise<void>;
  /** Makes sure the queue exists with these settings (a queue must exist before a job is sent to it). */
  define(queue: string, settings: QueueSettings): Promise<void>;
  /** Makes sure the queue exists with these settings, and works it here when this process works jobs. */
  work<T extends object>(queue: string, settings: WorkSettings, handler: JobHandler<T>): Promise<JobWorker>;
  /** Queues `data` on a cron expression in Almaty time (jobs of a missed occurrence: once, or none). */
  schedule(queue: string, cron: string, options?: { missed?: 'once' | 'skip' }): Promise<void>;
  /** Queues jobs outside any transaction (sweeps); returns how many were created (a singletonKey already waiting creates none). */
  insert(queue: string, jobs: Array<{ data: object; singletonKey?: string }>): Promise<number>;
  /** Jobs being run are finished first (at most 30 s). Stop it before the workers' own resources (their sweeps find nothing to queue from then on). */
  stop(): Promise<void>;
}

export interface JobQueueOptions {
  connectionString: string;
  works: boolean;
  log: JobLogger;
  /** pg-boss's own connections (default 8). */
  maxConnections?: number;
  /** How often an idle worker looks for due jobs (default 2 s; pg-boss's minimum is 0.5). */
  pollingIntervalSeconds?: number;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The queue for one process; nothing connects before `start()` (or the first call that needs the database). */
export function createJobQueue(options: JobQueueOptions): JobQueue {
  const { log, works } = options;
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: PG_BOSS_SCHEMA,
    max: options.maxConnections ?? 8,
    application_name: 'architecture-portal-jobs',
    // Web-only nodes neither fire schedules nor run pg-boss's maintenance: the working nodes do.
    schedule: works,
    supervise: works,
  });
  boss.on('error', (error) => log.error({ err: error }, 'job queue error'));
  boss.on('warning', (warning) => log.warn({ warning }, 'job queue warning'));
  const pollingIntervalSeconds = options.pollingIntervalSeconds ?? 2;

  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;
  const start = () => {
    starting ??= boss.start().then(
      () => undefined,
      async (error: unknown) => {
        await boss.stop({ graceful: false }).catch(() => undefined);
        throw error;
      },
    );
    return starting;
  };

  async function define(queue: string, settings: QueueSettings): Promise<void> {
    await start();
    await boss.createQueue(queue, { policy: settings.policy });
    const retry = settings.retry;
    const updates = {
      ...(retry
        ? {
            retryLimit: retry.retryLimit,
            retryDelay: retry.retryDelaySeconds,
            retryBackoff: retry.retryBackoff,
            // pg-boss accepts a ceiling only with backoff.
            retryDelayMax: retry.retryBackoff ? retry.retryDelayMaxSeconds : null,
          }
        : {}),
      ...(settings.expireInSeconds ? { expireInSeconds: settings.expireInSeconds } : {}),
    };
    // Applied on every start, so changed settings reach the jobs queued from then on.
    if (Object.keys(updates).length > 0) await boss.updateQueue(queue, updates);
  }

  async function runOne<T>(queue: string, handler: JobHandler<T>, job: JobWithMetadata<T>): Promise<JobResult> {
    const attempt = job.retryCount + 1;
    try {
      const output = await handler({ id: job.id, data: job.data, attempt, finalAttempt: job.retryCount >= job.retryLimit });
      if (output instanceof RetryLater) {
        log.warn({ queue, jobId: job.id, attempt, ...output.details }, `${output.reason}; will retry`);
        return { id: job.id, status: 'failed', output: { error: output.reason, ...output.details } };
      }
      return { id: job.id, status: 'completed', ...(output && typeof output === 'object' ? { output } : {}) };
    } catch (error) {
      log.error({ err: error, queue, jobId: job.id, attempt, data: job.data }, 'job failed');
      return { id: job.id, status: 'failed', output: { error: messageOf(error) } };
    }
  }

  return {
    works,
    start,
    define,
    async work<T extends object>(queue: string, settings: WorkSettings, handler: JobHandler<T>): Promise<JobWorker> {
      await define(queue, settings);
      if (!works) return { wake() {} };
      const workOptions = {
        includeMetadata: true,
        perJobResults: true,
        batchSize: settings.batchSize ?? 1,
        localConcurrency: Math.max(1, settings.concurrency ?? 1),
        pollingIntervalSeconds,
      } as const;
      const workerId = await boss.work<T, unknown, typeof workOptions>(
        queue,
        workOptions,
        async (jobs: Array<JobWithMetadata<T>>) => {
          const results: JobResult[] = [];
          for (const job of jobs) results.push(await runOne(queue, handler, job));
          return results;
        },
      );
      return {
        wake() {
          if (!stopping) boss.notifyWorker(workerId);
        },
      };
    },
    async schedule(queue, cron, scheduleOptions = {}) {
      await start();
      if (works) await boss.schedule(queue, cron, {}, { tz: TIME_ZONE, ...(scheduleOptions.missed ? { missed: scheduleOptions.missed } : {}) });
    },
    async send(db, queue, data, sendOptions = {}) {
      await start();
      await boss.send(queue, data, { db: fromKysely(db), ...(sendOptions.singletonKey ? { singletonKey: sendOptions.singletonKey } : {}) });
    },
    async insert(queue, jobs) {
      // Once stopping, a sweep queues nothing: the sweeps of the next start find what is left.
      if (jobs.length === 0 || stopping) return 0;
      await start();
      // Only the jobs actually created come back: a singletonKey that already has one is skipped.
      const ids = await boss.insert(queue, jobs, { returnId: true });
      return ids?.length ?? 0;
    },
    stop() {
      stopping ??= (async () => {
        if (!starting) return;
        await starting.catch(() => undefined);
        await boss.stop({ graceful: true, timeout: 30_000 });
      })();
      return stopping;
    },
  };
}

export interface Sweep {
  /** Sweeps now (again once the running sweep ends, if one runs). */
  now(): void;
  /** No sweep starts from then on; waits for the running one. */
  stop(): Promise<void>;
}

/**
 * The safety net of a queue whose table is the source of truth: at start and every `intervalMs`,
 * `queueMissing` queues a job for each row left to do that has none (by singletonKey, so it adds
 * nothing for rows whose job waits or runs) and says how many it queued; the worker is woken
 * for them. Only where this process works jobs.
 */
export async function startSweep(
  jobs: JobQueue,
  worker: JobWorker,
  options: { what: string; intervalMs: number; log: JobLogger; queueMissing: () => Promise<number> },
): Promise<Sweep> {
  if (!jobs.works) return { now() {}, stop: async () => undefined };
  let sweeping: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  function sweep(): Promise<void> {
    if (sweeping) {
      again = true;
      return sweeping;
    }
    sweeping = options
      .queueMissing()
      .then((queued) => {
        if (queued > 0) worker.wake();
      })
      .catch((error: unknown) => options.log.error({ err: error }, `looking for ${options.what} failed`))
      .finally(() => {
        sweeping = null;
        if (again && !stopped) {
          again = false;
          void sweep();
        }
      });
    return sweeping;
  }
  await sweep();
  const timer = setInterval(() => void sweep(), options.intervalMs);
  timer.unref();
  return {
    now() {
      if (!stopped) void sweep();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await sweeping;
    },
  };
}
