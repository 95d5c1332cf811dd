/**
 * The queue of veraPDF checks (check-worker.ts works it): one job per PDF original, queued in the
 * upload's own transaction, so an upload that commits has its check queued whatever happens next.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { JobQueue, JobSender, QueueSettings, RetryPolicy } from '../../jobs/job-queue.ts';

export const DOCUMENT_CHECK_QUEUE = 'document-check';

export interface CheckJob {
  fileId: string;
}

/** exclusive with the file's id as singletonKey: a file never has two checks waiting or running. */
export function documentCheckQueueSettings(retry: RetryPolicy): QueueSettings {
  // veraPDF's own timeout kills a stuck JVM long before a job expires.
  return { policy: 'exclusive', retry, expireInSeconds: 15 * 60 };
}

/** Where no check worker runs (a web-only node, some tests) uploads still need the queue to exist. */
export function defineDocumentCheckQueue(jobs: JobQueue, retry: RetryPolicy): Promise<void> {
  return jobs.define(DOCUMENT_CHECK_QUEUE, documentCheckQueueSettings(retry));
}

export function queueDocumentCheck(jobs: JobSender, trx: Transaction<Database>, fileId: string): Promise<void> {
  return jobs.send(trx, DOCUMENT_CHECK_QUEUE, { fileId } satisfies CheckJob, { singletonKey: fileId });
}
