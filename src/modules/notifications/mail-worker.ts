import type { Kysely } from 'kysely';
import { createTransport } from 'nodemailer';
import type { Database } from '../../db/database.ts';
import { lockMessage, pendingMessageIds, recordAttempt } from './notifications.repository.ts';
import { type JobLogger, type JobQueue, type JobWorker, type QueueSettings, type RetryPolicy, retryLater, startSweep } from '../../jobs/job-queue.ts';

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
 * outbox page. When SMTP is configured later, the pending backlog is sent. A web-only node
 * (JOBS_WORK=false) runs none either: the sweeps of the working nodes find its messages.
 */

export const MAIL_QUEUE = 'mail-send';

/** About 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: an SMTP outage of several hours loses nothing. */
export const DEFAULT_MAIL_RETRY: RetryPolicy = { retryLimit: 10, retryDelaySeconds: 30, retryBackoff: true, retryDelayMaxSeconds: 3600 };

export type MailLogger = JobLogger;

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
  jobs: JobQueue;
  db: Kysely<Database>;
  smtpUrl: string | undefined;
  from: string;
  log: MailLogger;
  /** How often pending messages are looked for (default 5 s). */
  sweepIntervalMs?: number;
  retry?: Partial<RetryPolicy>;
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
    const message = await lockMessage(trx, id);
    if (!message || message.status !== 'pending') return { outcome: 'skipped' };
    try {
      await transport.sendMail({
        from: options.from,
        to: message.recipient,
        subject: message.subject,
        text: message.bodyText,
        html: message.bodyHtml,
        // The same on every attempt, so a repeat after a crash is recognizable as the same message.
        messageId: `<${message.id}@${messageIdDomain(options.from)}>`,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
    } catch (error) {
      const description = describeError(error);
      const failed = options.finalAttempt || isPermanentRefusal(error);
      await recordAttempt(trx, id, { attempts: message.attempts + 1, lastError: description, status: failed ? 'failed' : 'pending' });
      return failed ? { outcome: 'failed', error: description } : { outcome: 'retry', error: description };
    }
    await recordAttempt(trx, id, { attempts: message.attempts + 1, status: 'sent', sentAt: new Date() });
    return { outcome: 'sent' };
  });
}

/** The queue of send jobs: one job at a time per message (see the delivery design above). */
export function ensureMailQueue(jobs: JobQueue, retry: RetryPolicy): Promise<void> {
  return jobs.define(MAIL_QUEUE, mailQueueSettings(retry));
}

function mailQueueSettings(retry: RetryPolicy): QueueSettings {
  return { policy: 'exclusive', retry };
}

/** Queues a job for every pending message that has none; returns how many were queued now. */
export async function queuePendingMail(db: Kysely<Database>, jobs: JobQueue): Promise<number> {
  let queued = 0;
  let after: string | null = null;
  // In batches, oldest first, through all of them: a long backlog must not hide newer messages.
  for (;;) {
    const pending = await pendingMessageIds(db, SWEEP_BATCH, after);
    queued += await jobs.insert(
      MAIL_QUEUE,
      pending.map((outboxId) => ({ data: { outboxId } satisfies MailJob, singletonKey: outboxId })),
    );
    if (pending.length < SWEEP_BATCH) return queued;
    after = pending[pending.length - 1]!;
  }
}

/**
 * Sends the outbox over SMTP through the process's job queue. Call after migrations; stop it
 * before the queue. Without `smtpUrl` it starts nothing and mail waits in the outbox.
 */
export async function startMailWorker(options: MailWorkerOptions): Promise<MailWorker> {
  const { db, jobs, log } = options;
  if (!options.smtpUrl) {
    log.info({}, 'SMTP_URL is not set: e-mail is not sent and waits in the outbox (/admin/outbox)');
    return { stop: async () => undefined };
  }
  // A web-only node (JOBS_WORK=false) leaves the outbox to the sweeps of the nodes that work jobs.
  if (!jobs.works) return { stop: async () => undefined };
  const retry = { ...DEFAULT_MAIL_RETRY, ...options.retry };
  const transport = createSmtpTransport(options.smtpUrl);

  let worker: JobWorker;
  try {
    worker = await jobs.work<MailJob>(MAIL_QUEUE, { ...mailQueueSettings(retry), batchSize: SENDS_PER_FETCH }, async (job) => {
      const result = await sendOutboxMessage(db, transport, job.data.outboxId, { from: options.from, finalAttempt: job.finalAttempt });
      if (result.outcome === 'sent') log.info({ outboxId: job.data.outboxId }, 'e-mail sent');
      if (result.outcome === 'failed') log.error({ outboxId: job.data.outboxId, error: result.error }, 'e-mail could not be sent; marked failed');
      // The attempt is recorded on the row; pg-boss retries the job.
      if (result.outcome === 'retry') return retryLater('sending e-mail failed', { outboxId: job.data.outboxId, error: result.error });
      return result;
    });
  } catch (error) {
    transport.close();
    throw error;
  }
  transport.verify().catch((error: unknown) =>
    log.warn({ error: describeError(error) }, 'the SMTP server does not answer; e-mail will be retried'),
  );

  const sweep = await startSweep(jobs, worker, { what: 'pending e-mail', intervalMs: options.sweepIntervalMs ?? 5000, log, queueMissing: () => queuePendingMail(db, jobs) });
  log.info({}, 'mail worker started');

  let stopping: Promise<void> | null = null;
  return {
    stop() {
      stopping ??= (async () => {
        await sweep.stop();
        transport.close();
      })();
      return stopping;
    },
  };
}
