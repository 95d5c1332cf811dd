/**
 * Renders the extracts of approvals (issued-documents.service.ts) on the process's job queue.
 * The approval queues the job in its own transaction; issued_documents rows without a PDF are
 * what is left to render, and a sweep (at start and every few seconds) queues a job for each one
 * that has none — the safety net for a job lost or given up. One job per extract (singletonKey =
 * its id); a rendering that fails is retried with backoff, and a run again of one that finished
 * does nothing.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { type JobLogger, type JobQueue, type RetryPolicy, startSweep } from '../../jobs/job-queue.ts';
import type { DocumentStore } from '../documents/store.ts';
import { EXTRACT_RENDER_QUEUE, type ExtractJob, renderIssuedExtract } from './issued-documents.service.ts';
import { pendingExtracts } from './reviews.repository.ts';

export interface ExtractWorker {
  stop(): Promise<void>;
}

export interface ExtractWorkerOptions {
  jobs: JobQueue;
  db: Kysely<Database>;
  store: DocumentStore;
  log: JobLogger;
  sweepIntervalMs?: number;
  retryDelaySeconds?: number;
}

/** About 5 s, 10 s, … up to 10 min apart, for about a day: a full disk or a crash loop loses nothing. */
function extractRetry(retryDelaySeconds = 5): RetryPolicy {
  return { retryLimit: 200, retryDelaySeconds, retryBackoff: true, retryDelayMaxSeconds: 600 };
}

export async function startExtractWorker(options: ExtractWorkerOptions): Promise<ExtractWorker> {
  const { jobs, db, store, log } = options;
  const worker = await jobs.work<ExtractJob>(
    EXTRACT_RENDER_QUEUE,
    // Rendering takes well under a second; a job running for minutes was lost with its process.
    { policy: 'exclusive', retry: extractRetry(options.retryDelaySeconds), expireInSeconds: 5 * 60 },
    async (job) => {
      const result = await renderIssuedExtract({ db, store }, job.data.issuedDocumentId);
      if (result.outcome === 'rendered') log.info({ issuedDocumentId: job.data.issuedDocumentId, sha256: result.sha256 }, 'extract rendered');
      return result;
    },
  );
  const sweep = await startSweep(jobs, worker, {
    what: 'extracts to render',
    intervalMs: options.sweepIntervalMs ?? 5000,
    log,
    queueMissing: async () =>
      jobs.insert(EXTRACT_RENDER_QUEUE, (await pendingExtracts(db)).map((id) => ({ data: { issuedDocumentId: id } satisfies ExtractJob, singletonKey: id }))),
  });
  return { stop: () => sweep.stop() };
}
