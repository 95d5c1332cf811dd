/**
 * Technical documentation on an object (003 §7; issue "Technical documentation: PDF/A-1 originals
 * and DOCX drafts, checked for real").
 *
 * A document is a pair: the PDF/A-1 original and the DOCX draft. Every upload of a pair is a new
 * version of the object's document of that kind; earlier versions stay downloadable. A kind counts
 * as placed (for the lifecycle moves, completeness and the 004 §18 check) once a version of it has
 * both files accepted.
 *
 * Upload: the files are already received into the store's `incoming` area (streamed, hashed, size
 * limited). The quick checks run first; a file that fails them is refused with the reasons and
 * nothing is kept. Otherwise the rows, the audit event and the move into the content-addressed
 * store happen together: a failing transaction removes the files it had added, so no file without
 * a row and no row without a file is left. The PDF then waits for veraPDF (status queued), which
 * the check worker runs (document-check.service.ts); the DOCX is accepted at once when its checks
 * pass. The nightly re-hashing of stored files is in fixity.service.ts.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, DocumentFileStatus, DocumentSlot } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { type AuthUser, requirePermission, requireSameOrganization } from '../../access/permissions.ts';
import { type DocumentKind, type DocumentVersionStatus, isDocumentKind } from '../objects/document-kinds.ts';
import { type CheckReason, precheckFile } from './check.ts';
import {
  type DocumentObjectScope,
  findDocumentFile,
  findDocumentReport,
  findObjectScope,
  insertDocumentFiles,
  insertDocumentVersion,
  isStoredFileReferenced,
  listDocumentVersions,
  lockStoredHashes,
  nextDocumentVersion,
} from './documents.repository.ts';
import type { DocumentStore, ReceivedFile } from './store.ts';
import type { VeraPdfFailedRule } from './verapdf.ts';
import type { JobSender } from '../../jobs/job-queue.ts';
import { queueDocumentCheck } from './check-queue.ts';


export const TITLE_MAX = 300;

export const MEDIA_TYPES: Record<DocumentSlot, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

export interface ServiceContext {
  requestId?: string;
  now?: Date;
}

export interface IncomingFile extends ReceivedFile {
  originalName: string;
}

export interface UploadInput {
  kind: string;
  title?: string | null;
  pdf?: IncomingFile | null;
  docx?: IncomingFile | null;
}

export interface DocumentFileView {
  id: string;
  slot: DocumentSlot;
  status: DocumentFileStatus;
  reasons: CheckReason[];
  sha256: string;
  sizeBytes: number;
  originalName: string;
  mediaType: string;
  declaredPdfa: string | null;
  validatedAs: string | null;
  pageCount: number | null;
  attempts: number;
  checkedAt: Date | null;
  failedRules: VeraPdfFailedRule[];
}

export interface DocumentVersionView {
  id: string;
  objectId: string;
  kind: DocumentKind;
  version: number;
  title: string | null;
  uploadedAt: Date;
  uploadedByName: string | null;
  /** accepted when both files are; rejected when either is; otherwise being checked. */
  status: DocumentVersionStatus;
  files: Partial<Record<DocumentSlot, DocumentFileView>>;
}

export interface DocumentKindView {
  kind: DocumentKind;
  current: DocumentVersionView;
  /** Earlier versions, newest first. */
  earlier: DocumentVersionView[];
}

async function loadObjectFor(db: Kysely<Database> | Transaction<Database>, actor: AuthUser, objectId: string, options: { lock?: boolean } = {}): Promise<DocumentObjectScope> {
  if (!UUID.test(objectId)) throw new AppError('NOT_FOUND');
  const scope = await findObjectScope(db, objectId, options);
  if (!scope) throw new AppError('NOT_FOUND');
  requireSameOrganization(actor, scope.organizationId);
  return scope;
}

function requireNotTerminated(scope: DocumentObjectScope): void {
  if (scope.stage === 'termination') throw new AppError('CONFLICT', 'the object is terminated and read-only', { reason: 'object_terminated' });
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Every document of an object, by kind: the current version and the earlier ones. `known`: the
 * object as this actor was just allowed to read it (its page has it), so its scoping holds.
 */
export async function listObjectDocuments(db: Kysely<Database>, actor: AuthUser | null | undefined, objectId: string, known?: { id: string; organization: { id: string } }): Promise<DocumentKindView[]> {
  requirePermission(actor, 'objects.read');
  if (known?.id === objectId) requireSameOrganization(actor, known.organization.id);
  else await loadObjectFor(db, actor, objectId);
  const versions = await listDocumentVersions(db, { objectId });
  const byKind = new Map<DocumentKind, DocumentVersionView[]>();
  for (const version of versions) byKind.set(version.kind, [...(byKind.get(version.kind) ?? []), version]);
  return [...byKind.entries()].map(([kind, list]) => ({ kind, current: list[0]!, earlier: list.slice(1) }));
}

/** One file with its check status (the API's status resource); staff of another organization get NOT_FOUND. */
export async function getDocumentFile(db: Kysely<Database>, actor: AuthUser | null | undefined, fileId: string): Promise<DocumentFileView & { objectId: string; kind: DocumentKind; version: number; versionId: string }> {
  requirePermission(actor, 'objects.read');
  if (!UUID.test(fileId)) throw new AppError('NOT_FOUND');
  const found = await findDocumentFile(db, fileId);
  if (!found) throw new AppError('NOT_FOUND');
  const { organizationId, ...file } = found;
  requireSameOrganization(actor, organizationId);
  return file;
}

/** The full veraPDF report kept for a PDF original (null for a DOCX or before the check). */
export async function getDocumentReport(db: Kysely<Database>, actor: AuthUser | null | undefined, fileId: string): Promise<unknown> {
  const file = await getDocumentFile(db, actor, fileId);
  return findDocumentReport(db, file.id);
}

export interface Download {
  path: string;
  fileName: string;
  mediaType: string;
  sha256: string;
  sizeBytes: number;
  /** The file and the object it belongs to, for the access log (004 §16.4). */
  fileId: string;
  objectId: string;
}

/** What a download needs: the stored file, its name and type, and its checksum. */
export async function openDocumentFile(db: Kysely<Database>, store: DocumentStore, actor: AuthUser | null | undefined, fileId: string): Promise<Download> {
  const file = await getDocumentFile(db, actor, fileId);
  if (!(await store.exists(file.sha256))) throw new AppError('SERVICE_UNAVAILABLE', 'the stored file is missing; administrators have been alerted by the fixity check');
  return { path: store.pathFor(file.sha256), fileName: file.originalName, mediaType: file.mediaType, sha256: file.sha256, sizeBytes: file.sizeBytes, fileId: file.id, objectId: file.objectId };
}

// ---------------------------------------------------------------------------------------------
// Uploading

/** Whether this user may place documents on the object: checked before an upload's bytes are read. */
export async function requireUploadableObject(db: Kysely<Database>, actor: AuthUser | null | undefined, objectId: string): Promise<void> {
  requirePermission(actor, 'objects.edit');
  requireNotTerminated(await loadObjectFor(db, actor, objectId));
}

function cleanName(name: string, slot: DocumentSlot): string {
  // Only the last path segment, without control characters; the extension follows the content.
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  const stem = base.replace(/\.[^.]*$/, '') || 'document';
  return `${stem}.${slot}`;
}

/**
 * Places a new version of the object's document of `input.kind`: both files, checked. Refusals
 * are VALIDATION_FAILED with one error per field (kind, title, pdf, docx; rule document_rejected
 * with params.reason, or required). The received files are always consumed: moved into the store
 * or removed.
 */
export async function uploadDocumentPair(
  deps: { db: Kysely<Database>; store: DocumentStore; jobs: JobSender },
  actor: AuthUser | null | undefined,
  objectId: string,
  input: UploadInput,
  ctx: ServiceContext = {},
): Promise<DocumentVersionView> {
  const { db, store } = deps;
  const received = [input.pdf, input.docx].filter((file): file is IncomingFile => !!file);
  let committed: Array<{ sha256: string; created: boolean }> = [];
  try {
    // First the permission (it also narrows the actor's type), then the object's scope and state.
    requirePermission(actor, 'objects.edit');
    await requireUploadableObject(db, actor, objectId);

    const errors: FieldError[] = [];
    if (!isDocumentKind(input.kind)) errors.push({ field: 'kind', rule: input.kind ? 'invalid' : 'required' });
    const title = (input.title ?? '').trim();
    if (title.length > TITLE_MAX) errors.push({ field: 'title', rule: 'too_long', params: { max: TITLE_MAX } });
    const checks: Partial<Record<DocumentSlot, Awaited<ReturnType<typeof precheckFile>>>> = {};
    for (const slot of ['pdf', 'docx'] as const) {
      const file = input[slot];
      if (!file) {
        errors.push({ field: slot, rule: 'required' });
        continue;
      }
      const check = await precheckFile(file.tempPath, slot);
      checks[slot] = check;
      for (const reason of check.verdict === 'rejected' ? check.reasons : []) {
        errors.push({ field: slot, rule: 'document_rejected', params: { reason: reason.code, ...(reason.params ?? {}) } });
      }
    }
    if (errors.length > 0) throw new AppError('VALIDATION_FAILED', 'the document cannot be placed', { fields: errors });
    const pdf = input.pdf!;
    const docx = input.docx!;
    const now = ctx.now ?? new Date();

    return await db.transaction().execute(async (trx) => {
      await lockStoredHashes(trx, [pdf.sha256, docx.sha256]);
      requireNotTerminated(await loadObjectFor(trx, actor, objectId, { lock: true }));
      const version = await nextDocumentVersion(trx, objectId, input.kind);
      const versionId = await insertDocumentVersion(trx, { objectId, kind: input.kind, version, title: title || null, uploadedAt: now, uploadedBy: actor.id });
      const files = await insertDocumentFiles(trx, versionId, now, [
        { slot: 'pdf', sha256: pdf.sha256, sizeBytes: pdf.size, originalName: cleanName(pdf.originalName, 'pdf'), mediaType: MEDIA_TYPES.pdf, status: 'queued' },
        { slot: 'docx', sha256: docx.sha256, sizeBytes: docx.size, originalName: cleanName(docx.originalName, 'docx'), mediaType: MEDIA_TYPES.docx, status: 'accepted', text: checks.docx?.text ?? '', checkedAt: now },
      ]);
      await recordAuditEvent(trx, {
        actor: userActor(actor),
        entityType: 'document',
        entityId: versionId,
        action: 'document.uploaded',
        after: { objectId, kind: input.kind, version, title: title || null, files },
        requestId: ctx.requestId ?? null,
      });
      await queueDocumentCheck(deps.jobs, trx, files.find((file) => file.slot === 'pdf')!.id);
      // Last, so that a failure before it leaves the store untouched; undone (under the locks) if anything after it fails.
      try {
        for (const file of [pdf, docx]) committed.push({ sha256: file.sha256, ...(await store.commit(file)) });
        const [view] = await listDocumentVersions(trx, { versionId });
        return view!;
      } catch (error) {
        for (const file of committed) if (file.created) await store.remove(file.sha256).catch(() => undefined);
        committed = [];
        throw error;
      }
    });
  } catch (error) {
    for (const file of committed) {
      if (file.created && !(await isStoredFileReferenced(db, file.sha256))) await store.remove(file.sha256).catch(() => undefined);
    }
    throw error;
  } finally {
    for (const file of received) await store.discard(file);
  }
}
