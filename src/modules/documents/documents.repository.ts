/**
 * The documents module's SQL: the tables document_versions, document_files, fixity_runs and
 * fixity_alerts are written here and nowhere else. It reads objects (their scope and stage) and
 * users (the uploader's name); the object's search text is written through objects.repository.
 * Functions take the database or a transaction; those that lock rows take a Transaction, so a
 * caller must have opened one.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, DocumentFileStatus, DocumentSlot } from '../../db/database.ts';
import { personName } from '../../access/permissions.ts';
import { type DocumentKind, pairStatus } from '../objects/document-kinds.ts';
import type { CheckReason, PdfCheck } from './check.ts';
import type { DocumentFileView, DocumentVersionView } from './documents.service.ts';
import type { FixityOverview } from './fixity.service.ts';
import type { VeraPdfFailedRule } from './verapdf.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** The text kept per file for search: enough for any real specification. */
const FILE_TEXT_MAX_CHARS = 1_000_000;
/** What is kept of veraPDF's error message. */
const ERROR_MAX_CHARS = 2000;

const fileText = (text: string | null): string | null => (text === null ? null : text.slice(0, FILE_TEXT_MAX_CHARS));

// ---------------------------------------------------------------------------------------------
// The object a document belongs to

export interface DocumentObjectScope {
  organizationId: string;
  stage: string;
}

/**
 * Only what access and the read-only rule need (the objects row also carries the documents' search
 * text, up to 2 MB); locked for the transaction's rest when `lock` is set (uploads wait for each other).
 */
export async function findObjectScope(db: Executor, objectId: string, options: { lock?: boolean } = {}): Promise<DocumentObjectScope | undefined> {
  let query = db.selectFrom('objects').select(['organization_id', 'stage']).where('id', '=', objectId);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && { organizationId: row.organization_id, stage: row.stage };
}

// ---------------------------------------------------------------------------------------------
// Versions and files

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

/** The versions of an object's documents (or one version), by kind and newest first, each with its files. */
export async function listDocumentVersions(db: Executor, where: { objectId?: string; versionId?: string }): Promise<DocumentVersionView[]> {
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

export type LocatedDocumentFile = DocumentFileView & { objectId: string; kind: DocumentKind; version: number; versionId: string; organizationId: string };

/** One file with the version and object it belongs to. */
export async function findDocumentFile(db: Executor, fileId: string): Promise<LocatedDocumentFile | undefined> {
  const row = await db
    .selectFrom('document_files as f')
    .innerJoin('document_versions as v', 'v.id', 'f.document_version_id')
    .innerJoin('objects as o', 'o.id', 'v.object_id')
    .select([...fileColumns, 'v.object_id', 'v.kind', 'v.version', 'o.organization_id'])
    .where('f.id', '=', fileId)
    .executeTakeFirst();
  if (!row) return undefined;
  return { ...toFileView(row as FileRow), objectId: row.object_id, kind: row.kind as DocumentKind, version: row.version, versionId: row.document_version_id, organizationId: row.organization_id };
}

/** The full veraPDF report kept for a file (null for a DOCX or before the check). */
export async function findDocumentReport(db: Executor, fileId: string): Promise<unknown> {
  const row = await db.selectFrom('document_files').select('report').where('id', '=', fileId).executeTakeFirstOrThrow();
  return row.report;
}

/** Uploads of the same bytes wait for each other, so that undoing one never removes a file another keeps. */
export async function lockStoredHashes(trx: Transaction<Database>, sha256s: readonly string[]): Promise<void> {
  for (const sha256 of [...new Set(sha256s)].sort()) await sql`SELECT pg_advisory_xact_lock(hashtextextended(${sha256}, 0))`.execute(trx);
}

/** The number the next version of the object's document of `kind` gets. */
export async function nextDocumentVersion(db: Executor, objectId: string, kind: string): Promise<number> {
  const last = await db
    .selectFrom('document_versions')
    .select((eb) => eb.fn.max('version').as('max'))
    .where('object_id', '=', objectId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return Number(last?.max ?? 0) + 1;
}

export interface NewDocumentVersion {
  objectId: string;
  kind: string;
  version: number;
  title: string | null;
  uploadedAt: Date;
  uploadedBy: string;
}

export async function insertDocumentVersion(db: Executor, version: NewDocumentVersion): Promise<string> {
  const row = await db
    .insertInto('document_versions')
    .values({ object_id: version.objectId, kind: version.kind, version: version.version, title: version.title, uploaded_at: version.uploadedAt, uploaded_by: version.uploadedBy })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface NewDocumentFile {
  slot: DocumentSlot;
  sha256: string;
  sizeBytes: number;
  originalName: string;
  mediaType: string;
  /** queued: waits for veraPDF; accepted: its checks are done (with its text and time). */
  status: 'queued' | 'accepted';
  text?: string;
  checkedAt?: Date;
}

export interface InsertedDocumentFile {
  id: string;
  slot: DocumentSlot;
  sha256: string;
  sizeBytes: number;
  name: string;
  status: DocumentFileStatus;
}

export async function insertDocumentFiles(db: Executor, versionId: string, createdAt: Date, files: readonly NewDocumentFile[]): Promise<InsertedDocumentFile[]> {
  const rows = await db
    .insertInto('document_files')
    .values(
      files.map((file) => ({
        document_version_id: versionId,
        slot: file.slot,
        sha256: file.sha256,
        size_bytes: file.sizeBytes,
        original_name: file.originalName,
        media_type: file.mediaType,
        status: file.status,
        ...(file.text === undefined ? {} : { text: fileText(file.text) }),
        ...(file.checkedAt === undefined ? {} : { checked_at: file.checkedAt }),
        created_at: createdAt,
      })),
    )
    .returning(['id', 'slot', 'sha256', 'size_bytes', 'original_name', 'status'])
    .execute();
  return rows.map((row) => ({ id: row.id, slot: row.slot, sha256: row.sha256, sizeBytes: Number(row.size_bytes), name: row.original_name, status: row.status }));
}

/** Whether any file row still refers to these stored bytes. */
export async function isStoredFileReferenced(db: Executor, sha256: string): Promise<boolean> {
  const row = await db.selectFrom('document_files').select('id').where('sha256', '=', sha256).limit(1).executeTakeFirst();
  return !!row;
}

// ---------------------------------------------------------------------------------------------
// The veraPDF check

/** PDF files still to be checked, oldest first: queued, interrupted, or failed with attempts left. */
export async function pendingPdfFileIds(db: Executor, options: { maxAttempts: number; limit: number }): Promise<string[]> {
  const rows = await db
    .selectFrom('document_files')
    .select('id')
    .where((eb) => eb.or([eb('status', 'in', ['queued', 'checking']), eb.and([eb('status', '=', 'check_failed'), eb('attempts', '<', options.maxAttempts)])]))
    .where('slot', '=', 'pdf')
    .orderBy('created_at')
    .limit(options.limit)
    .execute();
  return rows.map((row) => row.id);
}

/**
 * Takes a PDF waiting for its check: it becomes `checking` with one more attempt. Null when it is
 * no PDF, has its verdict already, or another worker holds it.
 */
export async function claimPdfForCheck(trx: Transaction<Database>, fileId: string): Promise<{ sha256: string; attempts: number } | null> {
  const row = await trx.selectFrom('document_files').select(['status', 'sha256', 'slot', 'attempts']).where('id', '=', fileId).forUpdate().skipLocked().executeTakeFirst();
  if (!row || row.slot !== 'pdf' || !['queued', 'checking', 'check_failed'].includes(row.status)) return null;
  await trx.updateTable('document_files').set({ status: 'checking', attempts: row.attempts + 1 }).where('id', '=', fileId).execute();
  return { sha256: row.sha256, attempts: row.attempts };
}

/**
 * Locks the file's object, then the file, for recording its verdict. The object first: uploads
 * lock it before they write the audit log, so the two never deadlock.
 */
export async function lockFileForVerdict(trx: Transaction<Database>, fileId: string): Promise<{ status: DocumentFileStatus; objectId: string }> {
  await trx
    .selectFrom('objects')
    .select('id')
    .where('id', '=', (eb) => eb.selectFrom('document_files as f').innerJoin('document_versions as v', 'v.id', 'f.document_version_id').select('v.object_id').where('f.id', '=', fileId))
    .forUpdate()
    .execute();
  const row = await trx
    .selectFrom('document_files as f')
    .innerJoin('document_versions as v', 'v.id', 'f.document_version_id')
    .select(['f.status', 'v.object_id'])
    .where('f.id', '=', fileId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return { status: row.status, objectId: row.object_id };
}

/** Back to the queue with its attempts as they were before the claim: veraPDF could not run at all. */
export async function returnFileToQueue(trx: Transaction<Database>, fileId: string, attempts: number, error: string): Promise<void> {
  await trx.updateTable('document_files').set({ status: 'queued', attempts, last_error: error.slice(0, ERROR_MAX_CHARS) }).where('id', '=', fileId).execute();
}

export async function markFileCheckFailed(trx: Transaction<Database>, fileId: string, error: string): Promise<void> {
  await trx
    .updateTable('document_files')
    .set({ status: 'check_failed', last_error: error.slice(0, ERROR_MAX_CHARS), reasons: JSON.stringify([{ code: 'check_failed' }]) })
    .where('id', '=', fileId)
    .execute();
}

/** veraPDF's verdict on the file, with what it found and its whole report as evidence. */
export async function recordFileVerdict(trx: Transaction<Database>, fileId: string, check: PdfCheck & { verdict: 'accepted' | 'rejected' }, checkedAt: Date): Promise<void> {
  await trx
    .updateTable('document_files')
    .set({
      status: check.verdict,
      reasons: JSON.stringify(check.reasons),
      report: check.report === null ? null : JSON.stringify(check.report),
      failed_rules: JSON.stringify(check.failedRules),
      declared_pdfa: check.declaredPdfa,
      validated_as: check.validatedAs,
      page_count: check.pageCount,
      text: fileText(check.text),
      last_error: null,
      checked_at: checkedAt,
    })
    .where('id', '=', fileId)
    .execute();
}

/** The texts of the files of the latest fully accepted version of each of the object's kinds. */
export async function acceptedDocumentTexts(db: Executor, objectId: string): Promise<string[]> {
  const rows = await sql<{ text: string | null }>`
    SELECT f.text FROM document_files f
    JOIN (
      SELECT DISTINCT ON (v.kind) v.id FROM document_versions v
      WHERE v.object_id = ${objectId}
        AND NOT EXISTS (SELECT 1 FROM document_files x WHERE x.document_version_id = v.id AND x.status <> 'accepted')
      ORDER BY v.kind, v.version DESC
    ) latest ON latest.id = f.document_version_id
    ORDER BY f.slot`.execute(db);
  return rows.rows.map((row) => row.text ?? '');
}

// ---------------------------------------------------------------------------------------------
// Fixity

export type FixityProblem = 'missing' | 'mismatch';

export async function startFixityRun(db: Executor): Promise<string> {
  const run = await db.insertInto('fixity_runs').defaultValues().returning('id').executeTakeFirstOrThrow();
  return run.id;
}

/** Every stored file the database refers to, once. */
export async function referencedHashes(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom('document_files').select('sha256').distinct().orderBy('sha256').execute();
  return rows.map((row) => row.sha256);
}

export async function insertFixityAlert(db: Executor, alert: { runId: string; sha256: string; problem: FixityProblem; actualSha256: string | null }): Promise<void> {
  await db.insertInto('fixity_alerts').values({ run_id: alert.runId, sha256: alert.sha256, problem: alert.problem, actual_sha256: alert.actualSha256 }).execute();
}

export async function finishFixityRun(db: Executor, runId: string, result: { filesChecked: number; problems: number }): Promise<void> {
  await db.updateTable('fixity_runs').set({ finished_at: new Date(), files_checked: result.filesChecked, problems: result.problems }).where('id', '=', runId).execute();
}

/** The last run and the newest alerts, each with the files that hold its bytes. */
export async function readFixityOverview(db: Executor, limit: number): Promise<FixityOverview> {
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
