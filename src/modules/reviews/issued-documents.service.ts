/**
 * The documents the portal issues (002): the registration extract of every approval, its PDF/A-1
 * file, and the public verification by number and owner BIN.
 *
 * The approval records the extract (its number, what it says) and queues `extract.render` in its
 * own transaction; the extract worker (extract-worker.ts) renders the PDF after the commit, stores
 * it in the content-addressed store and links it. Until then the extract is "being prepared":
 * its record verifies, its file is not there yet (SERVICE_UNAVAILABLE, reason extract_pending).
 * Rendering is safe to run again: an extract already linked is left alone, and a run that loses
 * the race to link removes the file it stored (unless another extract holds the same bytes).
 */
import { Readable } from 'node:stream';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError } from '../../errors.ts';
import type { JobSender } from '../../jobs/job-queue.ts';
import { type AuthUser, requirePermission, requireSameOrganization } from '../../access/permissions.ts';
import type { DocumentStore } from '../documents/store.ts';
import { renderCertificatePdf } from './certificate-pdf.ts';
import {
  extractToRender,
  isExtractPdfLinked,
  issuedDocumentFile,
  issuedDocumentIdsByNumber,
  issuedDocuments,
  type IssuedDocumentView,
  linkExtractPdf,
} from './reviews.repository.ts';

export const EXTRACT_RENDER_QUEUE = 'extract.render';

export interface ExtractJob {
  issuedDocumentId: string;
}

/** Queues the rendering of an extract in the approval's transaction: it exists exactly when the approval does. */
export function queueExtractRender(jobs: JobSender, trx: Transaction<Database>, issuedDocumentId: string): Promise<void> {
  return jobs.send(trx, EXTRACT_RENDER_QUEUE, { issuedDocumentId } satisfies ExtractJob, { singletonKey: issuedDocumentId });
}

export type RenderOutcome = { outcome: 'rendered'; sha256: string } | { outcome: 'skipped' };

/** Renders, stores and links the extract's PDF unless it has one already (or there is no such extract). */
export async function renderIssuedExtract(deps: { db: Kysely<Database>; store: DocumentStore }, issuedDocumentId: string): Promise<RenderOutcome> {
  const { db, store } = deps;
  const extract = await extractToRender(db, issuedDocumentId);
  if (!extract || extract.rendered) return { outcome: 'skipped' };
  const pdf = await renderCertificatePdf({
    documentNumber: extract.number,
    issuedOn: extract.issuedOn,
    accountCode: extract.accountCode,
    objectName: extract.details.objectName,
    ownerName: extract.details.ownerName,
    ownerBin: extract.ownerBin,
    approvedBy: extract.details.approvedByName,
    verificationUrl: extract.details.verificationUrl,
  });
  const received = await store.receive(Readable.from([pdf]), Math.max(pdf.length, 1));
  const { created } = await store.commit(received);
  let linked = false;
  try {
    linked = await linkExtractPdf(db, extract.id, { sha256: received.sha256, sizeBytes: received.size });
  } finally {
    // Lost the race to a run that linked its file first (or failed): the bytes go unless an extract holds them.
    if (!linked && created && !(await isExtractPdfLinked(db, received.sha256).catch(() => true))) await store.remove(received.sha256).catch(() => undefined);
  }
  return linked ? { outcome: 'rendered', sha256: received.sha256 } : { outcome: 'skipped' };
}

// ---------------------------------------------------------------------------------------------
// Download and public verification

export function normalizeDocumentNumber(value: string): string {
  return value.trim().toUpperCase().replace(/\s+/g, '');
}

/** Anyone: the document with this number AND this owner BIN, or null — never which of the two failed. */
export async function verifyIssuedDocument(db: Kysely<Database>, number: string, bin: string): Promise<IssuedDocumentView | null> {
  const normalized = normalizeDocumentNumber(number);
  const cleanBin = bin.replace(/\s+/g, '');
  if (!/^EXT-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(normalized) || !/^\d{12}$/.test(cleanBin)) return null;
  const ids = await issuedDocumentIdsByNumber(db, normalized, cleanBin);
  if (ids.length !== 1) return null;
  const [view] = await issuedDocuments(db, { id: ids[0]! });
  return view ?? null;
}

export interface CertificateDownload {
  path: string;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  /** The extract and its object, for the access log (004 §16.4). */
  documentId: string;
  objectId: string;
}

/** How long a client should wait before asking again for an extract being prepared. */
export const EXTRACT_RETRY_AFTER_SECONDS = 5;

async function certificateFile(db: Kysely<Database>, store: DocumentStore, id: string, actor?: AuthUser): Promise<CertificateDownload> {
  const file = await issuedDocumentFile(db, id);
  if (!file) throw new AppError('NOT_FOUND');
  // Another organization's extract is not found, being prepared or not.
  if (actor) requireSameOrganization(actor, file.organizationId);
  if (!file.pdf) throw new AppError('SERVICE_UNAVAILABLE', 'the extract is being prepared', { reason: 'extract_pending', retryAfterSeconds: EXTRACT_RETRY_AFTER_SECONDS });
  if (!(await store.exists(file.pdf.sha256))) throw new AppError('SERVICE_UNAVAILABLE', 'the stored extract is missing');
  return { path: store.pathFor(file.pdf.sha256), fileName: `${file.number}.pdf`, sha256: file.pdf.sha256, sizeBytes: file.pdf.sizeBytes, documentId: file.id, objectId: file.objectId };
}

/** Signed in: an extract of an object this user may read. */
export async function openIssuedDocument(db: Kysely<Database>, store: DocumentStore, actor: AuthUser | null | undefined, documentId: string): Promise<CertificateDownload> {
  requirePermission(actor, 'objects.read');
  if (!UUID.test(documentId)) throw new AppError('NOT_FOUND');
  return certificateFile(db, store, documentId, actor);
}

/** Anyone who holds the number and the BIN (as on the paper, or from the QR code). */
export async function openVerifiedDocument(db: Kysely<Database>, store: DocumentStore, number: string, bin: string): Promise<CertificateDownload> {
  const verified = await verifyIssuedDocument(db, number, bin);
  if (!verified) throw new AppError('NOT_FOUND');
  return certificateFile(db, store, verified.id);
}
