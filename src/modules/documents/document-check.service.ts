/**
 * The veraPDF check of uploaded PDF originals, which the check worker runs (check-worker.ts): which
 * files wait for it, and one check with its verdict and audit event. The DOCX draft needs no such
 * step: its checks run during the upload (documents.service.ts).
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import { type Actor, recordAuditEvent } from '../audit/audit.service.ts';
import { setDocumentsText } from '../objects/objects.repository.ts';
import { checkPdfOriginal, type PdfCheck } from './check.ts';
import { acceptedDocumentTexts, claimPdfForCheck, lockFileForVerdict, markFileCheckFailed, pendingPdfFileIds, recordFileVerdict, returnFileToQueue } from './documents.repository.ts';
import type { DocumentStore } from './store.ts';
import type { VeraPdf } from './verapdf.ts';

const CHECK_ACTOR: Actor = { kind: 'system', label: 'system:document-check' };
/** The text kept per object for search: the accepted files of all its kinds together. */
const OBJECT_TEXT_MAX_CHARS = 2_000_000;

export type CheckOutcome = { outcome: 'skipped' } | { outcome: 'done'; status: 'accepted' | 'rejected' } | { outcome: 'retry'; error: string } | { outcome: 'failed'; error: string };

/** How often veraPDF is tried on one file before it is left "could not be checked". */
export const MAX_CHECK_ATTEMPTS = 6;

/** PDF files still to be checked: queued, interrupted, or failed with attempts left. */
export async function pendingDocumentFiles(db: Kysely<Database>, limit = 500): Promise<string[]> {
  return pendingPdfFileIds(db, { maxAttempts: MAX_CHECK_ATTEMPTS, limit });
}

const MISSING_FILE: PdfCheck = { verdict: 'error', reasons: [], declaredPdfa: null, validatedAs: null, pageCount: null, text: null, failedRules: [], counts: null, report: null, error: 'the stored file is missing' };

/**
 * Checks one stored PDF original with veraPDF and records the verdict with its audit event. A
 * crash or timeout of veraPDF records check_failed (never accepted): the job is retried, and on
 * the last attempt the file stays check_failed, which the page shows as "could not be checked".
 */
export async function runDocumentCheck(
  deps: { db: Kysely<Database>; store: DocumentStore; veraPdf: VeraPdf },
  fileId: string,
  options: { finalAttempt: boolean },
): Promise<CheckOutcome> {
  const { db, store, veraPdf } = deps;
  const claimed = await db.transaction().execute((trx) => claimPdfForCheck(trx, fileId));
  if (!claimed) return { outcome: 'skipped' };

  const check = (await store.exists(claimed.sha256)) ? await checkPdfOriginal(store.pathFor(claimed.sha256), veraPdf) : MISSING_FILE;

  return db.transaction().execute(async (trx): Promise<CheckOutcome> => {
    const file = await lockFileForVerdict(trx, fileId);
    if (file.status !== 'checking') return { outcome: 'skipped' };
    if (check.verdict === 'error') {
      const error = check.error ?? '';
      if (check.unavailable) {
        // Not the file's fault and no attempt used: it waits, unchecked, until veraPDF runs again.
        await returnFileToQueue(trx, fileId, claimed.attempts, error);
        return { outcome: 'retry', error };
      }
      await markFileCheckFailed(trx, fileId, error);
      if (options.finalAttempt || claimed.attempts + 1 >= MAX_CHECK_ATTEMPTS) {
        await recordAuditEvent(trx, { actor: CHECK_ACTOR, entityType: 'document_file', entityId: fileId, action: 'document_file.check_failed', before: { status: 'checking' }, after: { status: 'check_failed', error: check.error } });
        return { outcome: 'failed', error };
      }
      return { outcome: 'retry', error };
    }
    const status = check.verdict;
    await recordFileVerdict(trx, fileId, { ...check, verdict: status }, new Date());
    await recordAuditEvent(trx, {
      actor: CHECK_ACTOR,
      entityType: 'document_file',
      entityId: fileId,
      action: 'document_file.checked',
      before: { status: 'checking' },
      after: { status, reasons: check.reasons, declaredPdfa: check.declaredPdfa, validatedAs: check.validatedAs, failedRules: check.counts?.failedRules ?? null },
    });
    if (status === 'accepted') await refreshDocumentsText(trx, file.objectId);
    return { outcome: 'done', status };
  });
}

/** The search text of an object: the files of the latest fully accepted version of each kind. */
export async function refreshDocumentsText(trx: Transaction<Database>, objectId: string): Promise<void> {
  const texts = await acceptedDocumentTexts(trx, objectId);
  await setDocumentsText(trx, objectId, texts.join('\n').slice(0, OBJECT_TEXT_MAX_CHARS));
}
