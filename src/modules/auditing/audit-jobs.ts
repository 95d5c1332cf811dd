/**
 * The audit chain's own jobs, on the process's job queue: the nightly verification of the whole
 * chain against every published head (02:30 Almaty), the publication of yesterday's head (00:10),
 * and the verifications asked for with "verify now". Each runs once at a time (singleton queues)
 * and is safe to run again: a verification only adds its record, a head is published once a day.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { JobLogger, JobQueue } from '../../jobs/job-queue.ts';
import { AUDIT_VERIFY_QUEUE, publishYesterdaysHead, runAuditVerification } from './auditing.service.ts';

export { AUDIT_VERIFY_QUEUE };
export const AUDIT_PUBLISH_HEAD_QUEUE = 'audit.publish_head';
const VERIFY_CRON = '30 2 * * *';
const PUBLISH_CRON = '10 0 * * *';

export interface AuditJobsOptions {
  jobs: JobQueue;
  db: Kysely<Database>;
  log: JobLogger;
  /** Create the cron schedules; without, only jobs sent to the queues run. */
  schedule: boolean;
}

export async function startAuditJobs(options: AuditJobsOptions): Promise<void> {
  const { jobs, db, log } = options;
  await jobs.work<{ trigger?: 'nightly' | 'manual'; requestedBy?: string | null }>(AUDIT_VERIFY_QUEUE, { policy: 'singleton' }, async (job) => {
    const run = await runAuditVerification(db, { trigger: job.data.trigger ?? 'nightly', requestedBy: job.data.requestedBy ?? null });
    log.info({ ok: run.ok, checked: run.checked, brokenEventId: run.brokenEventId }, 'audit chain verified');
    return { ok: run.ok, checked: run.checked };
  });
  await jobs.work(AUDIT_PUBLISH_HEAD_QUEUE, { policy: 'singleton' }, async () => {
    const head = await publishYesterdaysHead(db);
    log.info({ day: head?.day, eventCount: head?.eventCount }, 'audit chain head published');
    return head ? { day: head.day, eventCount: head.eventCount } : {};
  });
  if (options.schedule) {
    await jobs.schedule(AUDIT_VERIFY_QUEUE, VERIFY_CRON, { missed: 'once' });
    await jobs.schedule(AUDIT_PUBLISH_HEAD_QUEUE, PUBLISH_CRON, { missed: 'once' });
  }
}
