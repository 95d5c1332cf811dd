/**
 * Scheduled jobs of the review (003 §8): reviewers must decide a case by its due_at, the end of the
 * 5th working day (Asia/Almaty).
 *
 *  - Due reminders: on a working day, each open case due on the next working day (or on a day
 *    between today and then, should the calendar have changed since the deadline was computed) is
 *    reminded once: to the reviewer who took it, or, while nobody has (or the taker's account is
 *    no longer active), to every active reviewer. reminder_sent_at makes it once: the case's row is
 *    locked (FOR UPDATE SKIP LOCKED) and re-checked, marked, mailed and audited in one
 *    transaction, so a second run, or a concurrent one, sends nothing. Overdue cases are not
 *    reminded (the digest covers them). The job runs every day and the function itself checks the
 *    calendar: transferred working days can fall on a weekend, and holidays on weekdays.
 *    A day the job did not run at all is not made up: a case due today is not reminded.
 *  - Overdue digest: while any open case is past its due_at, each active administrator gets one
 *    message a day listing them, soonest due first. At most one digest per Almaty day (a retried
 *    job after a commit sends nothing again): the audit event 'review_cases.overdue_digest_sent'
 *    with the day as entity_id is what says it went.
 *
 * Both take `now`: nothing here reads the clock except the pg-boss handlers.
 */
import { personName } from '../../access/permissions.ts';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import { type Actor, recordAuditEvent } from '../audit/audit.service.ts';
import { loadCalendarData } from '../calendar/calendar.service.ts';
import { addWorkingDays, deadlineStatus, endOfAlmatyDay, isWorkingDay, toAlmatyDate } from '../calendar/working-days.ts';
import type { JobLogger, JobQueue } from '../../jobs/job-queue.ts';
import { enqueueMail } from '../notifications/outbox.service.ts';
import { activeUsers, casesToRemind, digestSentOn, lockCaseToRemind, lockOverdueDigest, markReminderSent, overdueOpenCases, type Person } from './reviews.repository.ts';

export const REVIEW_REMINDER_QUEUE = 'review-due-reminders';
export const REVIEW_DIGEST_QUEUE = 'review-overdue-digest';
/** Every day at 09:00 in Almaty: sendDueReminders itself skips the days that are not worked. */
export const REVIEW_REMINDER_CRON = '0 9 * * *';
/** Every day at 08:00 in Almaty. */
export const REVIEW_DIGEST_CRON = '0 8 * * *';

const SYSTEM_ACTOR: Actor = { kind: 'system', label: 'system:review-jobs' };

export interface ReviewJobOptions {
  /** Public address, for the links in the e-mails. */
  baseUrl: string;
  now: Date;
}

interface SnapshotNames {
  passport?: { name?: { full?: { kk?: string; ru?: string } } };
}

function objectNames(snapshot: unknown): { kk: string; ru: string } {
  const full = (snapshot as SnapshotNames | null)?.passport?.name?.full;
  return { kk: full?.kk ?? '', ru: full?.ru ?? '' };
}

function fullName(row: { surname: string; given_name: string; patronymic: string | null; email: string }): string {
  return personName(row) || row.email;
}

async function reminderRecipients(trx: Transaction<Database>, takenBy: string | null): Promise<{ to: 'taker' | 'reviewers'; users: Person[] }> {
  if (takenBy) {
    // Whoever took it, while they can still decide it (reviewers and administrators can).
    const [taker] = await activeUsers(trx, ['reviewer', 'admin'], takenBy);
    if (taker) return { to: 'taker', users: [taker] };
  }
  return { to: 'reviewers', users: await activeUsers(trx, ['reviewer']) };
}

/**
 * Reminds the reviewers of the open cases due on the next working day, once per case; nothing on
 * a day that is not worked. `cases`: cases reminded by this run; `messages`: e-mails queued.
 */
export async function sendDueReminders(db: Kysely<Database>, options: ReviewJobOptions): Promise<{ cases: number; messages: number }> {
  const { now } = options;
  const calendar = await loadCalendarData(db);
  const today = toAlmatyDate(now);
  if (!isWorkingDay(today, calendar)) return { cases: 0, messages: 0 };
  const nextWorkingDay = addWorkingDays(today, 1, calendar);
  // Due after today, and no later than the end of the next working day.
  const candidates = await casesToRemind(db, endOfAlmatyDay(today), endOfAlmatyDay(nextWorkingDay));

  let cases = 0;
  let messages = 0;
  for (const id of candidates) {
    const sent = await db.transaction().execute(async (trx) => {
      // Another run holds it (and will remind it), or it changed since: re-checked under the lock.
      const row = await lockCaseToRemind(trx, id, now);
      if (!row) return null;
      const recipients = await reminderRecipients(trx, row.takenBy);
      // Nobody to tell (no active reviewer): not marked, so a later run can still remind it.
      if (recipients.users.length === 0) return null;
      await markReminderSent(trx, row.id, now);
      const names = objectNames(row.snapshot);
      for (const user of recipients.users) {
        await enqueueMail(trx, {
          to: user.email,
          template: 'review_due_reminder',
          params: { fullName: fullName(user), caseNumber: row.number, objectName: names.ru, objectNameKk: names.kk, dueAt: row.dueAt, link: `${options.baseUrl}/review/cases/${row.id}` },
          entity: { type: 'review_case', id: row.id },
        });
      }
      await recordAuditEvent(trx, {
        actor: SYSTEM_ACTOR,
        entityType: 'review_case',
        entityId: row.id,
        action: 'review_case.reminder_sent',
        before: { reminderSentAt: null },
        after: { reminderSentAt: now.toISOString(), number: row.number, dueAt: row.dueAt.toISOString(), to: recipients.to, recipients: recipients.users.map((user) => user.id) },
      });
      return recipients.users.length;
    });
    if (sent !== null) {
      cases += 1;
      messages += sent;
    }
  }
  return { cases, messages };
}

/**
 * Tells every active administrator which open cases are overdue at `now`, one line each:
 * "RC-… — <kk name> / <ru name> — due <YYYY-MM-DD> — <working days overdue>", soonest due first.
 * Nothing when none is overdue, and nothing a second time on the same Almaty day.
 * `overdue`: open overdue cases now; `messages`: e-mails queued by this run.
 */
export async function sendOverdueDigest(db: Kysely<Database>, options: ReviewJobOptions): Promise<{ overdue: number; messages: number }> {
  const { now } = options;
  const calendar = await loadCalendarData(db);
  const today = toAlmatyDate(now);
  return db.transaction().execute(async (trx) => {
    const cases = await overdueOpenCases(trx, now);
    if (cases.length === 0) return { overdue: 0, messages: 0 };

    await lockOverdueDigest(trx);
    if (await digestSentOn(trx, today)) return { overdue: cases.length, messages: 0 };

    const admins = await activeUsers(trx, ['admin']);
    if (admins.length === 0) return { overdue: cases.length, messages: 0 };

    const lines = cases.map((row) => {
      const names = objectNames(row.snapshot);
      const { workingDaysOverdue } = deadlineStatus(now, row.dueAt, calendar);
      return `${row.number} — ${names.kk} / ${names.ru} — due ${toAlmatyDate(row.dueAt)} — ${workingDaysOverdue}`;
    });
    for (const admin of admins) {
      await enqueueMail(trx, {
        to: admin.email,
        template: 'review_overdue_digest',
        params: { fullName: fullName(admin), count: cases.length, lines: lines.join('\n'), link: `${options.baseUrl}/review/cases?filter=overdue` },
        entity: { type: 'review_cases', id: today },
      });
    }
    await recordAuditEvent(trx, {
      actor: SYSTEM_ACTOR,
      entityType: 'review_cases',
      entityId: today,
      action: 'review_cases.overdue_digest_sent',
      after: { count: cases.length, cases: cases.map((row) => row.number), recipients: admins.map((admin) => admin.id) },
    });
    return { overdue: cases.length, messages: admins.length };
  });
}

// ---------------------------------------------------------------------------------------------
// On the job queue

export type ReviewJobsLogger = Pick<JobLogger, 'info' | 'error'>;

export interface ReviewJobsOptions {
  jobs: JobQueue;
  db: Kysely<Database>;
  baseUrl: string;
  log: ReviewJobsLogger;
  /** Create the daily cron schedules (default true). Without, the workers only run jobs sent to the queues. */
  schedule?: boolean;
  /** The clock the handlers read; tests only (default: new Date()). */
  clock?: () => Date;
}

/**
 * Runs the reminders (09:00) and the overdue digest (08:00), Almaty time, on the process's job
 * queue. Schedules live in the database, so every instance may start this: pg-boss sends each
 * occurrence once, the singleton queues run one job at a time, and both functions are safe to run
 * again (a failed run is retried). A missed occurrence (the portal was down at 9) is sent once
 * when it is back.
 */
export async function startReviewJobs(options: ReviewJobsOptions): Promise<void> {
  const { jobs, db, log } = options;
  const clock = options.clock ?? (() => new Date());
  const schedule = options.schedule ?? true;
  const runs = [
    {
      queue: REVIEW_REMINDER_QUEUE,
      cron: REVIEW_REMINDER_CRON,
      run: async () => {
        const result = await sendDueReminders(db, { baseUrl: options.baseUrl, now: clock() });
        log.info(result, 'review due reminders sent');
        return result;
      },
    },
    {
      queue: REVIEW_DIGEST_QUEUE,
      cron: REVIEW_DIGEST_CRON,
      run: async () => {
        const result = await sendOverdueDigest(db, { baseUrl: options.baseUrl, now: clock() });
        log.info(result, 'review overdue digest sent');
        return result;
      },
    },
  ];
  for (const job of runs) {
    await jobs.work(job.queue, { policy: 'singleton' }, job.run);
    if (schedule) await jobs.schedule(job.queue, job.cron, { missed: 'once' });
  }
  if (jobs.works) log.info({ schedule }, 'review jobs started');
}
