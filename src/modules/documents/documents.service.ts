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
 * the check worker runs; the DOCX is accepted at once when its checks pass.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, DocumentFileStatus, DocumentSlot } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { type Actor, recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { type AuthUser, requirePermission, requireSameOrganization, personName } from '../../access/permissions.ts';
import { type DocumentKind, type DocumentVersionStatus, isDocumentKind, pairStatus } from '../objects/document-kinds.ts';
import { checkPdfOriginal, type CheckReason, type PdfCheck, precheckFile } from './check.ts';
import type { DocumentStore, ReceivedFile } from './store.ts';
import type { VeraPdf, VeraPdfFailedRule } from './verapdf.ts';
import { setDocumentsText } from '../objects/objects.repository.ts';
import type { JobSender } from '../../jobs/job-queue.ts';
import { queueDocumentCheck } from './check-queue.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export const TITLE_MAX = 300;
/** The text kept per file and per object for search: enough for any real specification. */
const TEXT_MAX_CHARS = 1_000_000;
const OBJECT_TEXT_MAX_CHARS = 2_000_000;

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

async function loadObjectFor(db: Executor, actor: AuthUser, objectId: string, options: { lock?: boolean } = {}) {
  if (!UUID.test(objectId)) throw new AppError('NOT_FOUND');
  let query = db.selectFrom('objects').select(['id', 'organization_id', 'stage']).where('id', '=', objectId);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  requireSameOrganization(actor, row.organization_id);
  return row;
}

const CHECK_ACTOR: Actor = { kind: 'system', label: 'system:document-check' };
const FIXITY_ACTOR: Actor = { kind: 'system', label: 'system:fixity' };

// ---------------------------------------------------------------------------------------------
// Reading

type FileRow = {
  id: string;
  document_version_id: string;
  slot: DocumentSlot;
  status: DocumentFileStatus;
  reasons: unknown;
  sha256: string;
  size_bytes: string;
  original_name: string;
  media_type: string;
  declared_pdfa: string | null;
  validated_as: string | null;
  page_count: number | null;
  attempts: number;
  checked_at: Date | null;
  failed_rules: unknown;
};

const fileColumns = [
  'f.id',
  'f.document_version_id',
  'f.slot',
  'f.status',
  'f.reasons',
  'f.sha256',
  'f.size_bytes',
  'f.original_name',
  'f.media_type',
  'f.declared_pdfa',
  'f.validated_as',
  'f.page_count',
  'f.attempts',
  'f.checked_at',
  'f.failed_rules',
] as const;

function toFileView(row: FileRow): DocumentFileView {
  return {
    id: row.id,
    slot: row.slot,
    status: row.status,
    reasons: (row.reasons as CheckReason[] | null) ?? [],
    sha256: row.sha256,
    sizeBytes: Number(row.size_bytes),
    originalName: row.original_name,
    mediaType: row.media_type,
    declaredPdfa: row.declared_pdfa,
    validatedAs: row.validated_as,
    pageCount: row.page_count,
    attempts: row.attempts,
    checkedAt: row.checked_at,
    failedRules: (row.failed_rules as VeraPdfFailedRule[] | null) ?? [],
  };
}

async function versionViews(db: Executor, where: { objectId?: string; versionId?: string }): Promise<DocumentVersionView[]> {
  let query = db
    .selectFrom('document_versions as v')
    .leftJoin('users as u', 'u.id', 'v.uploaded_by')
    .select(['v.id', 'v.object_id', 'v.kind', 'v.version', 'v.title', 'v.uploaded_at', 'u.surname', 'u.given_name', 'u.patronymic']);
  if (where.objectId) query = query.where('v.object_id', '=', where.objectId);
  if (where.versionId) query = query.where('v.id', '=', where.versionId);
  const versions = await query.orderBy('v.kind').orderBy('v.version', 'desc').execute();
  if (versions.length === 0) return [];
  const files = await db
    .selectFrom('document_files as f')
    .select(fileColumns)
    .where(
      'f.document_version_id',
      'in',
      versions.map((v) => v.id),
    )
    .execute();
  return versions.map((version) => {
    const own = files.filter((file) => file.document_version_id === version.id);
    return {
      id: version.id,
      objectId: version.object_id,
      kind: version.kind as DocumentKind,
      version: version.version,
      title: version.title,
      uploadedAt: version.uploaded_at,
      uploadedByName: personName(version),
      status: pairStatus(own),
      files: Object.fromEntries(own.map((file) => [file.slot, toFileView(file as FileRow)])),
    };
  });
}

/**
 * Every document of an object, by kind: the current version and the earlier ones. `known`: the
 * object as this actor was just allowed to read it (its page has it), so its scoping holds.
 */
export async function listObjectDocuments(db: Kysely<Database>, actor: AuthUser | null | undefined, objectId: string, known?: { id: string; organization: { id: string } }): Promise<DocumentKindView[]> {
  requirePermission(actor, 'objects.read');
  if (known?.id === objectId) requireSameOrganization(actor, known.organization.id);
  else await loadObjectFor(db, actor, objectId);
  const versions = await versionViews(db, { objectId });
  const byKind = new Map<DocumentKind, DocumentVersionView[]>();
  for (const version of versions) byKind.set(version.kind, [...(byKind.get(version.kind) ?? []), version]);
  return [...byKind.entries()].map(([kind, list]) => ({ kind, current: list[0]!, earlier: list.slice(1) }));
}

/** One file with its check status (the API's status resource); staff of another organization get NOT_FOUND. */
export async function getDocumentFile(db: Kysely<Database>, actor: AuthUser | null | undefined, fileId: string): Promise<DocumentFileView & { objectId: string; kind: DocumentKind; version: number; versionId: string }> {
  requirePermission(actor, 'objects.read');
  if (!UUID.test(fileId)) throw new AppError('NOT_FOUND');
  const row = await db
    .selectFrom('document_files as f')
    .innerJoin('document_versions as v', 'v.id', 'f.document_version_id')
    .innerJoin('objects as o', 'o.id', 'v.object_id')
    .select([...fileColumns, 'v.object_id', 'v.kind', 'v.version', 'o.organization_id'])
    .where('f.id', '=', fileId)
    .executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  requireSameOrganization(actor, row.organization_id);
  return { ...toFileView(row as FileRow), objectId: row.object_id, kind: row.kind as DocumentKind, version: row.version, versionId: row.document_version_id };
}

/** The full veraPDF report kept for a PDF original (null for a DOCX or before the check). */
export async function getDocumentReport(db: Kysely<Database>, actor: AuthUser | null | undefined, fileId: string): Promise<unknown> {
  const file = await getDocumentFile(db, actor, fileId);
  const row = await db.selectFrom('document_files').select('report').where('id', '=', file.id).executeTakeFirstOrThrow();
  return row.report;
}

export interface Download {
  path: string;
  fileName: string;
  mediaType: string;
  sha256: string;
  sizeBytes: number;
}

/** What a download needs: the stored file, its name and type, and its checksum. */
export async function openDocumentFile(db: Kysely<Database>, store: DocumentStore, actor: AuthUser | null | undefined, fileId: string): Promise<Download> {
  const file = await getDocumentFile(db, actor, fileId);
  if (!(await store.exists(file.sha256))) throw new AppError('SERVICE_UNAVAILABLE', 'the stored file is missing; administrators have been alerted by the fixity check');
  return { path: store.pathFor(file.sha256), fileName: file.originalName, mediaType: file.mediaType, sha256: file.sha256, sizeBytes: file.sizeBytes };
}

// ---------------------------------------------------------------------------------------------
// Uploading

/** Whether this user may place documents on the object: checked before an upload's bytes are read. */
export async function requireUploadableObject(db: Kysely<Database>, actor: AuthUser | null | undefined, objectId: string): Promise<void> {
  requirePermission(actor, 'objects.edit');
  const object = await loadObjectFor(db, actor, objectId);
  if (object.stage === 'termination') throw new AppError('CONFLICT', 'the object is terminated and read-only', { reason: 'object_terminated' });
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
    const docxText = (checks.docx?.text ?? '').slice(0, TEXT_MAX_CHARS);
    const now = ctx.now ?? new Date();

    return await db.transaction().execute(async (trx) => {
      // Uploads of the same bytes wait for each other, so that undoing one never removes a file another keeps.
      for (const sha256 of [...new Set([pdf.sha256, docx.sha256])].sort()) await sql`SELECT pg_advisory_xact_lock(hashtextextended(${sha256}, 0))`.execute(trx);
      const locked = await loadObjectFor(trx, actor, objectId, { lock: true });
      if (locked.stage === 'termination') throw new AppError('CONFLICT', 'the object is terminated and read-only', { reason: 'object_terminated' });
      const last = await trx
        .selectFrom('document_versions')
        .select((eb) => eb.fn.max('version').as('max'))
        .where('object_id', '=', objectId)
        .where('kind', '=', input.kind)
        .executeTakeFirst();
      const version = Number(last?.max ?? 0) + 1;
      const row = await trx
        .insertInto('document_versions')
        .values({ object_id: objectId, kind: input.kind, version, title: title || null, uploaded_at: now, uploaded_by: actor.id })
        .returning(['id'])
        .executeTakeFirstOrThrow();
      const files = await trx
        .insertInto('document_files')
        .values([
          { document_version_id: row.id, slot: 'pdf', sha256: pdf.sha256, size_bytes: pdf.size, original_name: cleanName(pdf.originalName, 'pdf'), media_type: MEDIA_TYPES.pdf, status: 'queued', created_at: now },
          {
            document_version_id: row.id,
            slot: 'docx',
            sha256: docx.sha256,
            size_bytes: docx.size,
            original_name: cleanName(docx.originalName, 'docx'),
            media_type: MEDIA_TYPES.docx,
            status: 'accepted',
            text: docxText,
            checked_at: now,
            created_at: now,
          },
        ])
        .returning(['id', 'slot', 'sha256', 'size_bytes', 'original_name', 'status'])
        .execute();
      await recordAuditEvent(trx, {
        actor: userActor(actor),
        entityType: 'document',
        entityId: row.id,
        action: 'document.uploaded',
        after: { objectId, kind: input.kind, version, title: title || null, files: files.map((f) => ({ id: f.id, slot: f.slot, sha256: f.sha256, sizeBytes: Number(f.size_bytes), name: f.original_name, status: f.status })) },
        requestId: ctx.requestId ?? null,
      });
      await queueDocumentCheck(deps.jobs, trx, files.find((file) => file.slot === 'pdf')!.id);
      // Last, so that a failure before it leaves the store untouched; undone (under the locks) if anything after it fails.
      try {
        for (const file of [pdf, docx]) committed.push({ sha256: file.sha256, ...(await store.commit(file)) });
        const [view] = await versionViews(trx, { versionId: row.id });
        return view!;
      } catch (error) {
        for (const file of committed) if (file.created) await store.remove(file.sha256).catch(() => undefined);
        committed = [];
        throw error;
      }
    });
  } catch (error) {
    for (const file of committed) {
      if (file.created && !(await isReferenced(db, file.sha256))) await store.remove(file.sha256).catch(() => undefined);
    }
    throw error;
  } finally {
    for (const file of received) await store.discard(file);
  }
}

async function isReferenced(db: Kysely<Database>, sha256: string): Promise<boolean> {
  const row = await db.selectFrom('document_files').select('id').where('sha256', '=', sha256).limit(1).executeTakeFirst();
  return !!row;
}

// ---------------------------------------------------------------------------------------------
// Checking (the worker)

export type CheckOutcome = { outcome: 'skipped' } | { outcome: 'done'; status: 'accepted' | 'rejected' } | { outcome: 'retry'; error: string } | { outcome: 'failed'; error: string };

/** How often veraPDF is tried on one file before it is left "could not be checked". */
export const MAX_CHECK_ATTEMPTS = 6;

/** PDF files still to be checked: queued, interrupted, or failed with attempts left. */
export async function pendingDocumentFiles(db: Kysely<Database>, limit = 500): Promise<string[]> {
  const rows = await db
    .selectFrom('document_files')
    .select('id')
    .where((eb) => eb.or([eb('status', 'in', ['queued', 'checking']), eb.and([eb('status', '=', 'check_failed'), eb('attempts', '<', MAX_CHECK_ATTEMPTS)])]))
    .where('slot', '=', 'pdf')
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}

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
  const claimed = await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('document_files').select(['id', 'status', 'sha256', 'slot', 'attempts']).where('id', '=', fileId).forUpdate().skipLocked().executeTakeFirst();
    if (!row || row.slot !== 'pdf' || !['queued', 'checking', 'check_failed'].includes(row.status)) return null;
    await trx.updateTable('document_files').set({ status: 'checking', attempts: row.attempts + 1 }).where('id', '=', fileId).execute();
    return row;
  });
  if (!claimed) return { outcome: 'skipped' };

  let check: PdfCheck;
  if (!(await store.exists(claimed.sha256))) {
    check = { verdict: 'error', reasons: [], declaredPdfa: null, validatedAs: null, pageCount: null, text: null, failedRules: [], counts: null, report: null, error: 'the stored file is missing' };
  } else {
    check = await checkPdfOriginal(store.pathFor(claimed.sha256), veraPdf);
  }

  return db.transaction().execute(async (trx): Promise<CheckOutcome> => {
    // Locks in the order uploads take them (the object, then the audit log), so the two never deadlock.
    await trx
      .selectFrom('objects')
      .select('id')
      .where('id', '=', (eb) => eb.selectFrom('document_files as f').innerJoin('document_versions as v', 'v.id', 'f.document_version_id').select('v.object_id').where('f.id', '=', fileId))
      .forUpdate()
      .execute();
    const row = await trx
      .selectFrom('document_files as f')
      .innerJoin('document_versions as v', 'v.id', 'f.document_version_id')
      .select(['f.id', 'f.status', 'v.object_id', 'v.id as version_id'])
      .where('f.id', '=', fileId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (row.status !== 'checking') return { outcome: 'skipped' };
    if (check.verdict === 'error' && check.unavailable) {
      // Not the file's fault and no attempt used: it waits, unchecked, until veraPDF runs again.
      await trx.updateTable('document_files').set({ status: 'queued', attempts: claimed.attempts, last_error: (check.error ?? '').slice(0, 2000) }).where('id', '=', fileId).execute();
      return { outcome: 'retry', error: check.error ?? '' };
    }
    if (check.verdict === 'error') {
      await trx.updateTable('document_files').set({ status: 'check_failed', last_error: (check.error ?? '').slice(0, 2000), reasons: JSON.stringify([{ code: 'check_failed' }]) }).where('id', '=', fileId).execute();
      if (options.finalAttempt || claimed.attempts + 1 >= MAX_CHECK_ATTEMPTS) {
        await recordAuditEvent(trx, { actor: CHECK_ACTOR, entityType: 'document_file', entityId: fileId, action: 'document_file.check_failed', before: { status: 'checking' }, after: { status: 'check_failed', error: check.error } });
        return { outcome: 'failed', error: check.error ?? '' };
      }
      return { outcome: 'retry', error: check.error ?? '' };
    }
    const status = check.verdict;
    await trx
      .updateTable('document_files')
      .set({
        status,
        reasons: JSON.stringify(check.reasons),
        report: check.report === null ? null : JSON.stringify(check.report),
        failed_rules: JSON.stringify(check.failedRules),
        declared_pdfa: check.declaredPdfa,
        validated_as: check.validatedAs,
        page_count: check.pageCount,
        text: check.text === null ? null : check.text.slice(0, TEXT_MAX_CHARS),
        last_error: null,
        checked_at: new Date(),
      })
      .where('id', '=', fileId)
      .execute();
    await recordAuditEvent(trx, {
      actor: CHECK_ACTOR,
      entityType: 'document_file',
      entityId: fileId,
      action: 'document_file.checked',
      before: { status: 'checking' },
      after: { status, reasons: check.reasons, declaredPdfa: check.declaredPdfa, validatedAs: check.validatedAs, failedRules: check.counts?.failedRules ?? null },
    });
    if (status === 'accepted') await refreshDocumentsText(trx, row.object_id);
    return { outcome: 'done', status };
  });
}

/** The search text of an object: the files of the latest fully accepted version of each kind. */
export async function refreshDocumentsText(trx: Transaction<Database>, objectId: string): Promise<void> {
  const rows = await sql<{ text: string | null }>`
    SELECT f.text FROM document_files f
    JOIN (
      SELECT DISTINCT ON (v.kind) v.id FROM document_versions v
      WHERE v.object_id = ${objectId}
        AND NOT EXISTS (SELECT 1 FROM document_files x WHERE x.document_version_id = v.id AND x.status <> 'accepted')
      ORDER BY v.kind, v.version DESC
    ) latest ON latest.id = f.document_version_id
    ORDER BY f.slot`.execute(trx);
  const text = rows.rows
    .map((row) => row.text ?? '')
    .join('\n')
    .slice(0, OBJECT_TEXT_MAX_CHARS);
  await setDocumentsText(trx, objectId, text);
}

// ---------------------------------------------------------------------------------------------
// Fixity

export interface FixityRunResult {
  runId: string;
  filesChecked: number;
  problems: Array<{ sha256: string; problem: 'missing' | 'mismatch'; actualSha256: string | null }>;
}

/** Re-hashes every stored file the database refers to; each missing or altered one is an alert and an audit event. */
export async function runFixityCheck(db: Kysely<Database>, store: DocumentStore): Promise<FixityRunResult> {
  const run = await db.insertInto('fixity_runs').defaultValues().returning('id').executeTakeFirstOrThrow();
  const hashes = await db.selectFrom('document_files').select('sha256').distinct().orderBy('sha256').execute();
  const problems: FixityRunResult['problems'] = [];
  for (const { sha256 } of hashes) {
    const actual = await store.rehash(sha256);
    if (actual === sha256) continue;
    const problem = actual === null ? 'missing' : 'mismatch';
    problems.push({ sha256, problem, actualSha256: actual });
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('fixity_alerts').values({ run_id: run.id, sha256, problem, actual_sha256: actual }).execute();
      await recordAuditEvent(trx, { actor: FIXITY_ACTOR, entityType: 'stored_file', entityId: sha256, action: `fixity.${problem}`, after: { runId: run.id, problem, actualSha256: actual } });
    });
  }
  await db.updateTable('fixity_runs').set({ finished_at: new Date(), files_checked: hashes.length, problems: problems.length }).where('id', '=', run.id).execute();
  return { runId: run.id, filesChecked: hashes.length, problems };
}

/** An administrator's "check now". */
export async function requestFixityCheck(db: Kysely<Database>, store: DocumentStore, actor: AuthUser | null | undefined): Promise<FixityRunResult> {
  requirePermission(actor, 'system.status');
  return runFixityCheck(db, store);
}

export interface FixityOverview {
  lastRun: { startedAt: Date; finishedAt: Date | null; filesChecked: number; problems: number } | null;
  alerts: Array<{ id: string; sha256: string; problem: 'missing' | 'mismatch'; actualSha256: string | null; detectedAt: Date; files: Array<{ objectId: string; kind: string; version: number; slot: string; name: string }> }>;
}

export async function fixityOverview(db: Kysely<Database>, actor: AuthUser | null | undefined, limit = 100): Promise<FixityOverview> {
  requirePermission(actor, 'system.status');
  const lastRun = await db.selectFrom('fixity_runs').selectAll().orderBy('started_at', 'desc').limit(1).executeTakeFirst();
  const alerts = await db.selectFrom('fixity_alerts').selectAll().orderBy('detected_at', 'desc').limit(limit).execute();
  const files =
    alerts.length === 0
      ? []
      : await db
          .selectFrom('document_files as f')
          .innerJoin('document_versions as v', 'v.id', 'f.document_version_id')
          .select(['f.sha256', 'v.object_id', 'v.kind', 'v.version', 'f.slot', 'f.original_name'])
          .where(
            'f.sha256',
            'in',
            alerts.map((a) => a.sha256),
          )
          .execute();
  return {
    lastRun: lastRun ? { startedAt: lastRun.started_at, finishedAt: lastRun.finished_at, filesChecked: lastRun.files_checked, problems: lastRun.problems } : null,
    alerts: alerts.map((alert) => ({
      id: alert.id,
      sha256: alert.sha256,
      problem: alert.problem,
      actualSha256: alert.actual_sha256,
      detectedAt: alert.detected_at,
      files: files.filter((f) => f.sha256 === alert.sha256).map((f) => ({ objectId: f.object_id, kind: f.kind, version: f.version, slot: f.slot, name: f.original_name })),
    })),
  };
}
