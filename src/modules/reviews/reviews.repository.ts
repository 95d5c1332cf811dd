/**
 * The reviews module's SQL: the tables review_cases, review_comments, review_signatures,
 * account_code_counters and issued_documents are written here and nowhere else. Functions take the database or a
 * transaction; those that lock rows take a Transaction, so a caller must have opened one. Rows
 * come back as the module's records (names already joined), never as table rows.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { personName } from '../../access/permissions.ts';
import type { Database, ReviewCaseStatus } from '../../db/database.ts';
import type { DocumentKind } from '../objects/document-kinds.ts';
import type { LifecycleState } from '../objects/lifecycle.ts';
import type { ObjectPassport } from '../objects/passport.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export interface SnapshotFile {
  id: string;
  sha256: string;
  name: string;
  sizeBytes: number;
}

export interface SubmissionSnapshot {
  version: number;
  passport: ObjectPassport;
  state: LifecycleState;
  organization: { id: string; bin: string; nameKk: string; nameRu: string };
  /** The latest fully accepted version of each kind, as submitted. */
  documents: Array<{ kind: DocumentKind; version: number; versionId: string; title: string | null; pdf: SnapshotFile; docx: SnapshotFile }>;
}

/** A case as stored, with the names of the people on it. */
export interface CaseRecord {
  id: string;
  number: string;
  objectId: string;
  organization: { id: string; bin: string; nameKk: string; nameRu: string };
  kind: 'registration' | 'update';
  objectVersion: number;
  status: ReviewCaseStatus;
  submittedAt: Date;
  submittedByName: string;
  dueAt: Date;
  takenById: string | null;
  takenByName: string | null;
  decidedAt: Date | null;
  decidedByName: string | null;
  decisionNote: string | null;
  snapshot: SubmissionSnapshot;
  /** The live object's version and account code now. */
  currentObjectVersion: number;
  accountCode: string | null;
}

export interface ReviewComment {
  id: string;
  targetType: 'field' | 'document' | 'general';
  target: string | null;
  body: string;
  authorName: string;
  createdAt: Date;
}

export interface IssuedDocumentView {
  id: string;
  number: string;
  issuedOn: string;
  accountCode: string;
  ownerBin: string;
  approvedByName: string;
  objectName: { kk: string; ru: string };
  ownerName: { kk: string; ru: string };
  /** The PDF is rendered after the approval commits: false while it is being prepared. */
  extractReady: boolean;
}

/** What the extract's PDF shows, as the approval recorded it. */
export interface IssuedDocumentDetails {
  objectName: { kk: string; ru: string };
  ownerName: { kk: string; ru: string };
  approvedByName: string;
  objectVersion: number;
  verificationUrl: string;
}

function caseQuery(db: Executor) {
  return db
    .selectFrom('review_cases as c')
    .innerJoin('objects as o', 'o.id', 'c.object_id')
    .innerJoin('organizations as g', 'g.id', 'c.organization_id')
    .innerJoin('users as s', 's.id', 'c.submitted_by')
    .leftJoin('users as t', 't.id', 'c.taken_by')
    .leftJoin('users as d', 'd.id', 'c.decided_by')
    .select([
      'c.id',
      'c.number',
      'c.object_id',
      'c.kind',
      'c.object_version',
      'c.status',
      'c.submitted_at',
      'c.due_at',
      'c.taken_by',
      'c.decided_at',
      'c.decision_note',
      'c.snapshot',
      'o.version as current_version',
      'o.account_code',
      'g.id as organization_id',
      'g.bin',
      'g.name_kk as org_name_kk',
      'g.name_ru as org_name_ru',
      's.surname as s_surname',
      's.given_name as s_given_name',
      's.patronymic as s_patronymic',
      't.surname as t_surname',
      't.given_name as t_given_name',
      't.patronymic as t_patronymic',
      'd.surname as d_surname',
      'd.given_name as d_given_name',
      'd.patronymic as d_patronymic',
    ]);
}

type CaseRow = Awaited<ReturnType<ReturnType<typeof caseQuery>['executeTakeFirstOrThrow']>>;

function toCaseRecord(row: CaseRow): CaseRecord {
  return {
    id: row.id,
    number: row.number,
    objectId: row.object_id,
    organization: { id: row.organization_id, bin: row.bin, nameKk: row.org_name_kk, nameRu: row.org_name_ru },
    kind: row.kind,
    objectVersion: row.object_version,
    status: row.status,
    submittedAt: row.submitted_at,
    submittedByName: personName({ surname: row.s_surname, given_name: row.s_given_name, patronymic: row.s_patronymic }) ?? '',
    dueAt: row.due_at,
    takenById: row.taken_by,
    takenByName: personName({ surname: row.t_surname, given_name: row.t_given_name, patronymic: row.t_patronymic }),
    decidedAt: row.decided_at,
    decidedByName: personName({ surname: row.d_surname, given_name: row.d_given_name, patronymic: row.d_patronymic }),
    decisionNote: row.decision_note,
    snapshot: row.snapshot as SubmissionSnapshot,
    currentObjectVersion: row.current_version,
    accountCode: row.account_code,
  };
}

// ---------------------------------------------------------------------------------------------
// Cases

export async function findCase(db: Executor, caseId: string): Promise<CaseRecord | null> {
  const row = await caseQuery(db).where('c.id', '=', caseId).executeTakeFirst();
  return row ? toCaseRecord(row) : null;
}

/** The object's cases, newest submission first. */
export async function casesOfObject(db: Executor, objectId: string): Promise<CaseRecord[]> {
  return (await caseQuery(db).where('c.object_id', '=', objectId).orderBy('c.submitted_at', 'desc').execute()).map(toCaseRecord);
}

export type CaseListFilter = 'open' | 'mine' | 'overdue' | 'returned' | 'approved' | 'all';

/** Open cases by due date, soonest first; decided ones newest first; at most 500. */
export async function listCases(db: Executor, filter: CaseListFilter, options: { actorId: string; now: Date }): Promise<CaseRecord[]> {
  let query = caseQuery(db);
  if (filter === 'open' || filter === 'mine' || filter === 'overdue') query = query.where('c.status', '=', 'open');
  if (filter === 'mine') query = query.where('c.taken_by', '=', options.actorId);
  if (filter === 'overdue') query = query.where('c.due_at', '<', options.now);
  if (filter === 'returned' || filter === 'approved') query = query.where('c.status', '=', filter);
  const ordered = filter === 'returned' || filter === 'approved' ? query.orderBy('c.decided_at', 'desc') : query.orderBy('c.due_at').orderBy('c.number');
  return (await ordered.limit(500).execute()).map(toCaseRecord);
}

export interface LockedCase {
  id: string;
  number: string;
  objectId: string;
  objectVersion: number;
  status: ReviewCaseStatus;
  snapshot: SubmissionSnapshot;
  submittedBy: string;
  takenBy: string | null;
  dueAt: Date;
}

/** The case's row, locked for the rest of the transaction; null when there is none. */
export async function lockCase(trx: Transaction<Database>, caseId: string): Promise<LockedCase | null> {
  const row = await trx.selectFrom('review_cases').selectAll().where('id', '=', caseId).forUpdate().executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    number: row.number,
    objectId: row.object_id,
    objectVersion: row.object_version,
    status: row.status,
    snapshot: row.snapshot as SubmissionSnapshot,
    submittedBy: row.submitted_by,
    takenBy: row.taken_by,
    dueAt: row.due_at,
  };
}

export async function openCaseNumber(db: Executor, objectId: string): Promise<string | null> {
  const open = await db.selectFrom('review_cases').select('number').where('object_id', '=', objectId).where('status', '=', 'open').executeTakeFirst();
  return open?.number ?? null;
}

/** RC-2026-000123, from the sequence, with the year of `now` in Almaty. */
export async function nextCaseNumber(trx: Transaction<Database>, almatyYear: string): Promise<string> {
  const { rows } = await sql<{ n: string }>`SELECT nextval('review_case_number_seq')::text AS n`.execute(trx);
  return `RC-${almatyYear}-${rows[0]!.n.padStart(6, '0')}`;
}

export async function insertCase(
  trx: Transaction<Database>,
  values: { id?: string; number: string; objectId: string; organizationId: string; kind: 'registration' | 'update'; objectVersion: number; snapshot: SubmissionSnapshot; submittedAt: Date; submittedBy: string; dueAt: Date },
): Promise<string> {
  const created = await trx
    .insertInto('review_cases')
    .values({
      ...(values.id ? { id: values.id } : {}),
      number: values.number,
      object_id: values.objectId,
      organization_id: values.organizationId,
      kind: values.kind,
      object_version: values.objectVersion,
      snapshot: JSON.stringify(values.snapshot),
      submitted_at: values.submittedAt,
      submitted_by: values.submittedBy,
      due_at: values.dueAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return created.id;
}

export async function caseExists(db: Executor, caseId: string): Promise<boolean> {
  return !!(await db.selectFrom('review_cases').select('id').where('id', '=', caseId).executeTakeFirst());
}

// ---------------------------------------------------------------------------------------------
// Signatures

export type SignaturePurposeOfCase = 'submission';

/** A verified signature of a case, as it was accepted: who signed, with which certificate, when. */
export interface CaseSignature {
  purpose: SignaturePurposeOfCase;
  signedById: string;
  signerName: string | null;
  signerIin: string | null;
  signerOrganization: string | null;
  signerBin: string | null;
  signingTime: Date | null;
  certificateSerial: string;
  certificateIssuer: string;
  certificateSubject: string;
  revocationStatus: 'good' | 'unavailable';
  revocationSource: string | null;
  verifiedAt: Date;
  manifestSha256: string;
}

export async function insertCaseSignature(
  trx: Transaction<Database>,
  values: Omit<CaseSignature, 'manifestSha256'> & { caseId: string; manifest: Uint8Array; cms: Uint8Array },
): Promise<void> {
  await trx
    .insertInto('review_signatures')
    .values({
      case_id: values.caseId,
      purpose: values.purpose,
      signed_by: values.signedById,
      manifest: Buffer.from(values.manifest),
      cms: Buffer.from(values.cms),
      signer_name: values.signerName,
      signer_iin: values.signerIin,
      signer_organization: values.signerOrganization,
      signer_bin: values.signerBin,
      signing_time: values.signingTime,
      certificate_serial: values.certificateSerial,
      certificate_issuer: values.certificateIssuer,
      certificate_subject: values.certificateSubject,
      revocation_status: values.revocationStatus,
      revocation_source: values.revocationSource,
      verified_at: values.verifiedAt,
    })
    .execute();
}

export async function caseSignatures(db: Executor, caseId: string): Promise<CaseSignature[]> {
  const rows = await db
    .selectFrom('review_signatures')
    .select(['purpose', 'signed_by', 'signer_name', 'signer_iin', 'signer_organization', 'signer_bin', 'signing_time', 'certificate_serial', 'certificate_issuer', 'certificate_subject', 'revocation_status', 'revocation_source', 'verified_at', sql<string>`encode(sha256(manifest), 'hex')`.as('manifest_sha256')])
    .where('case_id', '=', caseId)
    .orderBy('verified_at')
    .execute();
  return rows.map((row) => ({
    purpose: row.purpose,
    signedById: row.signed_by,
    signerName: row.signer_name,
    signerIin: row.signer_iin,
    signerOrganization: row.signer_organization,
    signerBin: row.signer_bin,
    signingTime: row.signing_time,
    certificateSerial: row.certificate_serial,
    certificateIssuer: row.certificate_issuer,
    certificateSubject: row.certificate_subject,
    revocationStatus: row.revocation_status,
    revocationSource: row.revocation_source,
    verifiedAt: row.verified_at,
    manifestSha256: row.manifest_sha256,
  }));
}

/** The bytes signed and the CMS of one signature of the case; null when it has none. */
export async function caseSignatureFiles(db: Executor, caseId: string, purpose: SignaturePurposeOfCase): Promise<{ manifest: Buffer; cms: Buffer } | null> {
  const row = await db.selectFrom('review_signatures').select(['manifest', 'cms']).where('case_id', '=', caseId).where('purpose', '=', purpose).executeTakeFirst();
  return row ?? null;
}

export async function setCaseTaken(trx: Transaction<Database>, caseId: string, userId: string, at: Date): Promise<void> {
  await trx.updateTable('review_cases').set({ taken_by: userId, taken_at: at }).where('id', '=', caseId).execute();
}

export async function recordCaseDecision(trx: Transaction<Database>, caseId: string, decision: { status: 'returned' | 'approved'; at: Date; by: string; note: string | null }): Promise<void> {
  await trx.updateTable('review_cases').set({ status: decision.status, decided_at: decision.at, decided_by: decision.by, decision_note: decision.note }).where('id', '=', caseId).execute();
}

// ---------------------------------------------------------------------------------------------
// Comments

export async function caseComments(db: Executor, caseId: string): Promise<ReviewComment[]> {
  const rows = await db
    .selectFrom('review_comments as m')
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .select(['m.id', 'm.target_type', 'm.target', 'm.body', 'm.created_at', 'u.surname', 'u.given_name', 'u.patronymic'])
    .where('m.case_id', '=', caseId)
    .orderBy('m.created_at')
    .execute();
  return rows.map((row) => ({ id: row.id, targetType: row.target_type, target: row.target, body: row.body, authorName: personName(row) ?? '', createdAt: row.created_at }));
}

export async function insertComment(
  trx: Transaction<Database>,
  values: { caseId: string; targetType: 'field' | 'document' | 'general'; target: string | null; body: string; authorId: string; createdAt: Date },
): Promise<string> {
  const created = await trx
    .insertInto('review_comments')
    .values({ case_id: values.caseId, target_type: values.targetType, target: values.target, body: values.body, author_id: values.authorId, created_at: values.createdAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  return created.id;
}

// ---------------------------------------------------------------------------------------------
// Account codes and issued documents

/** The next sequence number of the year's account codes; the counter's row stays locked until the transaction ends (003 §4.5). */
export async function nextAccountCodeSequence(trx: Transaction<Database>, year: number): Promise<number> {
  const { rows } = await sql<{ last_value: number }>`
    INSERT INTO account_code_counters (year, last_value) VALUES (${year}, 1)
    ON CONFLICT (year) DO UPDATE SET last_value = account_code_counters.last_value + 1
    RETURNING last_value`.execute(trx);
  return rows[0]!.last_value;
}

export async function documentNumberTaken(db: Executor, number: string): Promise<boolean> {
  return !!(await db.selectFrom('issued_documents').select('id').where('number', '=', number).executeTakeFirst());
}

/** The extract's record, without its PDF (the extract worker links that after the commit). */
export async function insertIssuedDocument(
  trx: Transaction<Database>,
  values: { number: string; objectId: string; caseId: string; accountCode: string; ownerBin: string; issuedOn: string; issuedAt: Date; approvedBy: string; details: IssuedDocumentDetails },
): Promise<string> {
  const issued = await trx
    .insertInto('issued_documents')
    .values({
      number: values.number,
      kind: 'registration_extract',
      object_id: values.objectId,
      case_id: values.caseId,
      account_code: values.accountCode,
      owner_bin: values.ownerBin,
      issued_on: values.issuedOn,
      issued_at: values.issuedAt,
      approved_by: values.approvedBy,
      details: JSON.stringify(values.details),
      pdf_sha256: null,
      pdf_size_bytes: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return issued.id;
}

/** Issued documents, newest first, of one case, one object, or by id. */
export async function issuedDocuments(db: Executor, where: { caseId?: string; objectId?: string; id?: string }): Promise<IssuedDocumentView[]> {
  let query = db
    .selectFrom('issued_documents as i')
    .innerJoin('users as u', 'u.id', 'i.approved_by')
    .select(['i.id', 'i.number', 'i.issued_on', 'i.account_code', 'i.owner_bin', 'i.details', 'i.pdf_sha256', 'u.surname', 'u.given_name', 'u.patronymic']);
  if (where.caseId) query = query.where('i.case_id', '=', where.caseId);
  if (where.objectId) query = query.where('i.object_id', '=', where.objectId);
  if (where.id) query = query.where('i.id', '=', where.id);
  const rows = await query.orderBy('i.issued_at', 'desc').execute();
  return rows.map((row) => {
    const details = row.details as IssuedDocumentDetails;
    return {
      id: row.id,
      number: row.number,
      issuedOn: row.issued_on,
      accountCode: row.account_code,
      ownerBin: row.owner_bin,
      approvedByName: personName(row) ?? '',
      objectName: details.objectName,
      ownerName: details.ownerName,
      extractReady: row.pdf_sha256 !== null,
    };
  });
}

/** The ids of the documents with exactly this number and owner BIN. */
export async function issuedDocumentIdsByNumber(db: Executor, number: string, ownerBin: string): Promise<string[]> {
  return (await db.selectFrom('issued_documents').select('id').where('number', '=', number).where('owner_bin', '=', ownerBin).execute()).map((row) => row.id);
}

export interface IssuedDocumentFile {
  id: string;
  number: string;
  objectId: string;
  organizationId: string;
  /** Null while the extract is being prepared. */
  pdf: { sha256: string; sizeBytes: number } | null;
}

export async function issuedDocumentFile(db: Executor, id: string): Promise<IssuedDocumentFile | null> {
  const row = await db
    .selectFrom('issued_documents as i')
    .innerJoin('objects as o', 'o.id', 'i.object_id')
    .select(['i.id', 'i.number', 'i.pdf_sha256', 'i.pdf_size_bytes', 'i.object_id', 'o.organization_id'])
    .where('i.id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    number: row.number,
    objectId: row.object_id,
    organizationId: row.organization_id,
    pdf: row.pdf_sha256 !== null && row.pdf_size_bytes !== null ? { sha256: row.pdf_sha256, sizeBytes: row.pdf_size_bytes } : null,
  };
}

/** What the extract worker renders: the record as the approval wrote it, and whether its PDF is linked yet. */
export interface ExtractToRender {
  id: string;
  number: string;
  issuedOn: string;
  accountCode: string;
  ownerBin: string;
  details: IssuedDocumentDetails;
  rendered: boolean;
}

export async function extractToRender(db: Executor, id: string): Promise<ExtractToRender | null> {
  const row = await db.selectFrom('issued_documents').select(['id', 'number', 'issued_on', 'account_code', 'owner_bin', 'details', 'pdf_sha256']).where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  return { id: row.id, number: row.number, issuedOn: row.issued_on, accountCode: row.account_code, ownerBin: row.owner_bin, details: row.details as IssuedDocumentDetails, rendered: row.pdf_sha256 !== null };
}

/** Links the stored PDF to an extract that has none yet; false when one was linked first (a concurrent run). */
export async function linkExtractPdf(db: Executor, id: string, pdf: { sha256: string; sizeBytes: number }): Promise<boolean> {
  const result = await db
    .updateTable('issued_documents')
    .set({ pdf_sha256: pdf.sha256, pdf_size_bytes: pdf.sizeBytes })
    .where('id', '=', id)
    .where('pdf_sha256', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function isExtractPdfLinked(db: Executor, sha256: string): Promise<boolean> {
  return !!(await db.selectFrom('issued_documents').select('id').where('pdf_sha256', '=', sha256).limit(1).executeTakeFirst());
}

/** Extracts whose PDF is still to be rendered, oldest first. */
export async function pendingExtracts(db: Executor, limit = 500): Promise<string[]> {
  return (await db.selectFrom('issued_documents').select('id').where('pdf_sha256', 'is', null).orderBy('issued_at').limit(limit).execute()).map((row) => row.id);
}

// ---------------------------------------------------------------------------------------------
// What other tables the review reads

/** The organization as the submission records it. */
export async function organizationOf(db: Executor, organizationId: string): Promise<SubmissionSnapshot['organization']> {
  const row = await db.selectFrom('organizations').select(['id', 'bin', 'name_kk', 'name_ru']).where('id', '=', organizationId).executeTakeFirstOrThrow();
  return { id: row.id, bin: row.bin, nameKk: row.name_kk, nameRu: row.name_ru };
}

/** The files of the latest version of each document kind whose two files are both accepted. */
export async function latestAcceptedDocumentFiles(db: Executor, objectId: string) {
  const { rows } = await sql<{
    kind: string;
    version: number;
    version_id: string;
    title: string | null;
    slot: 'pdf' | 'docx';
    file_id: string;
    sha256: string;
    original_name: string;
    size_bytes: string;
  }>`
    SELECT latest.kind, latest.version, latest.id AS version_id, latest.title, f.slot, f.id AS file_id, f.sha256, f.original_name, f.size_bytes
    FROM (
      SELECT DISTINCT ON (v.kind) v.id, v.kind, v.version, v.title FROM document_versions v
      WHERE v.object_id = ${objectId}
        AND (SELECT count(*) FILTER (WHERE x.status = 'accepted') FROM document_files x WHERE x.document_version_id = v.id) = 2
      ORDER BY v.kind, v.version DESC
    ) latest
    JOIN document_files f ON f.document_version_id = latest.id
    ORDER BY latest.kind, f.slot`.execute(db);
  return rows.map((row) => ({
    kind: row.kind,
    version: row.version,
    versionId: row.version_id,
    title: row.title,
    slot: row.slot,
    file: { id: row.file_id, sha256: row.sha256, name: row.original_name, sizeBytes: Number(row.size_bytes) } satisfies SnapshotFile,
  }));
}

export interface Person {
  id: string;
  email: string;
  surname: string;
  given_name: string;
  patronymic: string | null;
  iin: string | null;
}

export async function personById(db: Executor, userId: string): Promise<Person> {
  return db.selectFrom('users').select(['id', 'email', 'surname', 'given_name', 'patronymic', 'iin']).where('id', '=', userId).executeTakeFirstOrThrow();
}

// ---------------------------------------------------------------------------------------------
// The SLA report

export async function slaCaseRows(db: Executor) {
  const rows = await db
    .selectFrom('review_cases as c')
    .leftJoin('users as d', (join) => join.on(sql<boolean>`d.id = coalesce(c.decided_by, c.taken_by)`))
    .select(['c.id', 'c.submitted_at', 'c.due_at', 'c.decided_at', 'c.status', 'd.id as reviewer_id', 'd.surname', 'd.given_name', 'd.patronymic'])
    .execute();
  return rows.map((row) => ({
    id: row.id,
    submittedAt: row.submitted_at,
    dueAt: row.due_at,
    decidedAt: row.decided_at,
    status: row.status,
    reviewerId: row.reviewer_id ?? null,
    reviewerName: personName(row),
  }));
}

// ---------------------------------------------------------------------------------------------
// Reminders and the overdue digest (review-jobs.ts)

/** Open cases not yet reminded, due in (after, until], by due date. */
export async function casesToRemind(db: Executor, after: Date, until: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('review_cases')
    .select('id')
    .where('status', '=', 'open')
    .where('reminder_sent_at', 'is', null)
    .where('due_at', '>', after)
    .where('due_at', '<=', until)
    .orderBy('due_at')
    .orderBy('number')
    .execute();
  return rows.map((row) => row.id);
}

/** The case, locked, while it is still open, not reminded and not yet due at `now`; null if another run holds it. */
export async function lockCaseToRemind(trx: Transaction<Database>, caseId: string, now: Date) {
  const row = await trx
    .selectFrom('review_cases')
    .select(['id', 'number', 'snapshot', 'due_at', 'taken_by'])
    .where('id', '=', caseId)
    .where('status', '=', 'open')
    .where('reminder_sent_at', 'is', null)
    .where('due_at', '>', now)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  return row ? { id: row.id, number: row.number, snapshot: row.snapshot, dueAt: row.due_at, takenBy: row.taken_by } : null;
}

export async function markReminderSent(trx: Transaction<Database>, caseId: string, at: Date): Promise<void> {
  await trx.updateTable('review_cases').set({ reminder_sent_at: at }).where('id', '=', caseId).execute();
}

/** Open cases past their due date at `now`, soonest due first. */
export async function overdueOpenCases(db: Executor, now: Date) {
  const rows = await db.selectFrom('review_cases').select(['id', 'number', 'snapshot', 'due_at']).where('status', '=', 'open').where('due_at', '<', now).orderBy('due_at').orderBy('number').execute();
  return rows.map((row) => ({ id: row.id, number: row.number, snapshot: row.snapshot, dueAt: row.due_at }));
}

/** Active users of one role, by e-mail; or the one user, while active in one of the roles. */
export async function activeUsers(db: Executor, roles: Array<'reviewer' | 'admin'>, userId?: string): Promise<Person[]> {
  let query = db.selectFrom('users').select(['id', 'email', 'surname', 'given_name', 'patronymic', 'iin']).where('status', '=', 'active').where('role', 'in', roles);
  if (userId) query = query.where('id', '=', userId);
  return query.orderBy('email').execute();
}

/** Whether the day's digest went already: its audit event is the record. */
export async function digestSentOn(db: Executor, day: string): Promise<boolean> {
  const row = await db
    .selectFrom('audit_events')
    .select('id')
    .where('action', '=', 'review_cases.overdue_digest_sent')
    .where('entity_type', '=', 'review_cases')
    .where('entity_id', '=', day)
    .executeTakeFirst();
  return !!row;
}

/** Serializes digests, so that two runs on the same day cannot both find none sent yet. */
const DIGEST_LOCK = 7_351_200_101;

/** One overdue digest at a time, across every node, until the transaction ends. */
export async function lockOverdueDigest(trx: Transaction<Database>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${DIGEST_LOCK})`.execute(trx);
}
