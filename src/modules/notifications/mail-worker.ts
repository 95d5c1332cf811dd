import { type Kysely, sql } from 'kysely';
import { createTransport } from 'nodemailer';
import { type JobResult, type JobWithMetadata, PgBoss } from 'pg-boss';
import { connectDatabase } from '../../db/connection.ts';
import type { Database } from '../../db/database.ts';

/*
 * Delivery design.
 *
 * mail_outbox is the source of truth; pg-boss only schedules attempts and their retries.
 *
 * No lost mail: a message exists once the transaction that wrote it commits (enqueueMail). A
 * sweeper in every running worker looks for pending rows every few seconds (and at start) and
 * queues one pg-boss job per row, so a row committed just before a crash, or while no worker ran,
 * is picked up by the next sweep. Jobs are not queued "after commit" by the callers: there is no
 * window between commit and enqueue to lose, and callers only need enqueueMail(trx, …).
 *
 * One job per message: the queue's policy is `exclusive` and each job's singletonKey is the
 * outbox id, so while a message has a job waiting, in backoff or running, sweeps (from any number
 * of instances) add nothing; the insert's conflict is ignored by pg-boss.
 *
 * Retries: a failed SMTP attempt is recorded on the row (attempts, last_error) and the job is
 * failed, so pg-boss retries it with exponential backoff. On the job's last attempt, or when the
 * server refuses the recipient or message permanently (5xx), the row is marked `failed`. A job
 * lost with its process (expired) is retried by pg-boss; if its retries run out without an
 * attempt recording it, the row is still pending and the sweep queues it again.
 *
 * No double send: sending locks the row (FOR UPDATE SKIP LOCKED) and goes ahead only while it is
 * `pending`; the row is marked `sent` in the same transaction, so a later job or a concurrent
 * worker finds it sent (or locked) and does nothing. The one window SMTP itself leaves open, a
 * crash after the server accepted the message but before the commit, can repeat a message; it
 * then carries the same Message-ID, which lets mail systems recognize the repeat.
 *
 * Without an SMTP URL no worker runs: messages stay pending and administrators read them on the
 * outbox page. When SMTP is configured later, the pending backlog is sent.
 */

export const MAIL_QUEUE = 'mail-send';
/** pg-boss keeps its tables in a schema of its own in the portal's database. */
export const PG_BOSS_SCHEMA = 'pgboss';

export interface MailRetryPolicy {
  /** Retries after the first attempt. */
  retryLimit: number;
  /** First delay; with backoff each retry waits about twice as long as the one before. */
  retryDelaySeconds: number;
  retryBackoff: boolean;
  retryDelayMaxSeconds: number;
}

/** About 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: an SMTP outage of several hours loses nothing. */
export const DEFAULT_MAIL_RETRY: MailRetryPolicy = { retryLimit: 10, retryDelaySeconds: 30, retryBackoff: true, retryDelayMaxSeconds: 3600 };

/** The part of pino (and fastify's logger) the worker uses. */
export interface MailLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
}

/** What sending needs of nodemailer; tests may pass their own. */
export interface MailTransport {
  sendMail(message: OutgoingMail): Promise<unknown>;
}

export type SendResult =
  | { outcome: 'sent' }
  /** Not pending (already sent or failed), unknown, or being sent by someone else right now. */
  | { outcome: 'skipped' }
  /** This attempt failed; the message stays pending for the next one. */
  | { outcome: 'retry'; error: string }
  /** Marked failed: the last attempt failed, or the server refused it for good. */
  | { outcome: 'failed'; error: string };

export interface MailWorker {
  stop(): Promise<void>;
}

export interface MailWorkerOptions {
  connectionString: string;
  smtpUrl: string | undefined;
  from: string;
  log: MailLogger;
  /** How often pending messages are looked for (default 5 s). */
  sweepIntervalMs?: number;
  /** How often the job worker polls for due jobs (default 2 s; pg-boss's minimum is 0.5). */
  pollingIntervalSeconds?: number;
  retry?: Partial<MailRetryPolicy>;
}

interface MailJob {
  outboxId: string;
}

const SWEEP_BATCH = 500;
const SENDS_PER_FETCH = 5;
const MAX_ERROR_LENGTH = 2000;

export function createSmtpTransport(smtpUrl: string): MailTransport & { close(): void; verify(): Promise<true> } {
  // nodemailer's defaults wait minutes on a silent server; a job should fail and retry instead.
  return createTransport({ url: smtpUrl, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 });
}

function describeError(error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const code = typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ` : '';
  return `${code}${message}`.slice(0, MAX_ERROR_LENGTH);
}

/** The recipient or the message itself was refused with a permanent (5xx) reply: retrying cannot help. */
function isPermanentRefusal(error: unknown): boolean {
  const e = error as { code?: unknown; responseCode?: unknown };
  return (e?.code === 'EENVELOPE' || e?.code === 'EMESSAGE') && typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
}

function messageIdDomain(from: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'architecture-portal.invalid';
}

/**
 * Sends one pending outbox message (see the delivery design above). `finalAttempt` marks the
 * message failed if this attempt fails; otherwise a failure leaves it pending for a retry.
 */
export async function sendOutboxMessage(
  db: Kysely<Database>,
  transport: MailTransport,
  id: string,
  options: { from: string; finalAttempt: boolean },
): Promise<SendResult> {
  return db.transaction().execute(async (trx): Promise<SendResult> => {
    const row = await trx.selectFrom('mail_outbox').selectAll().where('id', '=', id).forUpdate().skipLocked().executeTakeFirst();
    if (!row || row.status !== 'pending') return { outcome: 'skipped' };
    try {
      await transport.sendMail({
        from: options.from,
        to: row.recipient,
        subject: row.subject,
        text: row.body_text,
        html: row.body_html,
        // The same on every attempt, so a repeat after a crash is recognizable as the same message.
        messageId: `<${row.id}@${messageIdDomain(options.from)}>`,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
    } catch (error) {
      const description = describeError(error);
      const failed = options.finalAttempt || isPermanentRefusal(error);
      await trx
        .updateTable('mail_outbox')
        .set({ attempts: row.attempts + 1, last_error: description, status: failed ? 'failed' : 'pending' })
        .where('id', '=', id)
        .execute();
      return failed ? { outcome: 'failed', error: description } : { outcome: 'retry', error: description };
    }
    await trx.updateTable('mail_outbox').set({ status: 'sent', sent_at: new Date(), attempts: row.attempts + 1 }).where('id', '=', id).execute();
    return { outcome: 'sent' };
  });
}

/** The queue of send jobs: one job at a time per message (see the delivery design above). */
export async function ensureMailQueue(boss: PgBoss, retry: MailRetryPolicy): Promise<void> {
  await boss.createQueue(MAIL_QUEUE, { policy: 'exclusive' });
  // Applied on every start, so a changed retry policy reaches jobs queued from then on.
  await boss.updateQueue(MAIL_QUEUE, {
    retryLimit: retry.retryLimit,
    retryDelay: retry.retryDelaySeconds,
    retryBackoff: retry.retryBackoff,
    // pg-boss accepts a ceiling only for backoff.
    retryDelayMax: retry.retryBackoff ? retry.retryDelayMaxSeconds : null,
  });
}

/** Queues a job for every pending message that has none; returns how many were queued now. */
export async function queuePendingMail(db: Kysely<Database>, boss: PgBoss): Promise<number> {
  let queued = 0;
  let after: string | null = null;
  // In batches, oldest first, through all of them: a long backlog must not hide newer messages.
  for (;;) {
    let query = db.selectFrom('mail_outbox').select('id').where('status', '=', 'pending').orderBy('created_at').orderBy('id').limit(SWEEP_BATCH);
    if (after !== null) query = query.where(sql<boolean>`(created_at, id) > (SELECT created_at, id FROM mail_outbox WHERE id = ${after}::uuid)`);
    const pending = await query.execute();
    if (pending.length > 0) {
      const ids = await boss.insert(
        MAIL_QUEUE,
        pending.map((row) => ({ data: { outboxId: row.id } satisfies MailJob, singletonKey: row.id })),
        // Only the jobs actually created come back: rows that already had one conflict and are skipped.
        { returnId: true },
      );
      queued += ids?.length ?? 0;
    }
    if (pending.length < SWEEP_BATCH) return queued;
    after = pending[pending.length - 1]!.id;
  }
}

/**
 * Starts sending the outbox over SMTP with pg-boss on the portal's database (its own schema).
 * Call after migrations; stop it before closing the database. Without `smtpUrl` it starts
 * nothing and mail waits in the outbox.
 */
export async function startMailWorker(options: MailWorkerOptions): Promise<MailWorker> {
  const { log } = options;
  if (!options.smtpUrl) {
    log.info({}, 'SMTP_URL is not set: e-mail is not sent and waits in the outbox (/admin/outbox)');
    return { stop: async () => undefined };
  }
  const retry = { ...DEFAULT_MAIL_RETRY, ...options.retry };
  const transport = createSmtpTransport(options.smtpUrl);
  const database = connectDatabase(options.connectionString, { max: 2 });
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: PG_BOSS_SCHEMA,
    max: 3,
    application_name: 'architecture-portal-mail',
    // No cron schedules are used; the sweep below runs in-process.
    schedule: false,
  });
  boss.on('error', (error) => log.error({ err: error }, 'mail queue error'));
  boss.on('warning', (warning) => log.warn({ warning }, 'mail queue warning'));

  async function handle(jobs: Array<JobWithMetadata<MailJob>>): Promise<JobResult[]> {
    const results: JobResult[] = [];
    for (const job of jobs) {
      const finalAttempt = job.retryCount >= job.retryLimit;
      try {
        const result = await sendOutboxMessage(database.db, transport, job.data.outboxId, { from: options.from, finalAttempt });
        if (result.outcome === 'sent') log.info({ outboxId: job.data.outboxId }, 'e-mail sent');
        if (result.outcome === 'failed') log.error({ outboxId: job.data.outboxId, error: result.error }, 'e-mail could not be sent; marked failed');
        if (result.outcome === 'retry') {
          log.warn({ outboxId: job.data.outboxId, attempt: job.retryCount + 1, error: result.error }, 'sending e-mail failed; will retry');
          results.push({ id: job.id, status: 'failed', output: { error: result.error } });
          continue;
        }
        results.push({ id: job.id, status: 'completed' });
      } catch (error) {
        // The database, not SMTP, failed: nothing was recorded, so let pg-boss try again.
        log.error({ err: error, outboxId: job.data.outboxId }, 'e-mail job failed');
        results.push({ id: job.id, status: 'failed', output: { error: describeError(error) } });
      }
    }
    return results;
  }

  let workerId: string;
  try {
    await boss.start();
    await ensureMailQueue(boss, retry);
    workerId = await boss.work(
      MAIL_QUEUE,
      { includeMetadata: true, perJobResults: true, batchSize: SENDS_PER_FETCH, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
      handle,
    );
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    await database.close().catch(() => undefined);
    transport.close();
    throw error;
  }

  transport.verify().catch((error: unknown) =>
    log.warn({ error: describeError(error) }, 'the SMTP server does not answer; e-mail will be retried'),
  );

  let sweeping: Promise<void> | null = null;
  function sweep(): Promise<void> {
    sweeping ??= queuePendingMail(database.db, boss)
      .then((queued) => {
        // Wake the worker now rather than at its next poll.
        if (queued > 0) boss.notifyWorker(workerId);
      })
      .catch((error: unknown) => log.error({ err: error }, 'looking for pending e-mail failed'))
      .finally(() => {
        sweeping = null;
      });
    return sweeping;
  }
  await sweep();
  const timer = setInterval(() => void sweep(), options.sweepIntervalMs ?? 5000);
  timer.unref();
  log.info({}, 'mail worker started');

  let stopping: Promise<void> | null = null;
  return {
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        await sweeping;
        // Graceful: a message being sent now is finished and recorded before the pool closes.
        await boss.stop({ graceful: true, timeout: 30_000 });
        transport.close();
        await database.close();
      })();
      return stopping;
    },
  };
}
