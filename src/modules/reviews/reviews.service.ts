/**
 * Review by the service integrator (003 §8; domain.md Workflow C and F).
 *
 *  - A submission is complete when the passport has every field its kind and stage require and
 *    every document the stage requires is placed and accepted (the same list as 004 §18's check,
 *    lifecycle.ts operationFundingCheck). Only a complete object can be submitted.
 *  - Submitting opens a review case due 5 working days later (working-day calendar), with the
 *    submission frozen in the case: the passport as of that version and the accepted files. Staff
 *    may go on editing; the reviewer sees, and approves, exactly what was submitted.
 *  - The reviewer comments on fields and documents, then returns the case (the clock stops; a
 *    resubmission opens a new case) or approves it. The first approval assigns the account code
 *    (003 §4.5), kept for the object's life; every approval issues an extract (002) with a unique,
 *    unguessable number, verifiable by anyone with the number and the owner's BIN.
 *
 * Every step checks its permission first, then changes state and writes its audit event (and its
 * e-mails, through the outbox) in one transaction, re-checking the case's state under a row lock.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Kysely, sql, type Transaction } from 'kysely';
import pLimit from 'p-limit';
import type { Database, ReviewCaseStatus } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { type AuthUser, requirePermission, requireSameOrganization, personName } from '../../access/permissions.ts';
import { loadCalendarData } from '../calendar/calendar.service.ts';
import { type CalendarData, deadlineStatus, type DeadlineStatus, dueAt, toAlmatyDate } from '../calendar/working-days.ts';
import { acceptedDocumentKinds } from '../objects/objects.repository.ts';
import type { DocumentStore } from '../documents/store.ts';
import { enqueueMail } from '../notifications/outbox.service.ts';
import { type DocumentKind, isDocumentKind } from '../objects/document-kinds.ts';
import { type FundingGap, isReadOnly, type LifecycleState, operationFundingCheck, stateOf } from '../objects/lifecycle.ts';
import { getObject, loadVisibleObject, type ObjectDetail, type OrganizationRef, organizationsById, referencedOrganizationIds } from '../objects/objects.service.ts';
import type { ObjectPassport } from '../objects/passport.ts';
import { formatAccountCode } from './account-code.ts';
import { renderCertificatePdf } from './certificate-pdf.ts';
import { recordObjectApproval, setReviewStatus } from '../objects/objects.repository.ts';

/** 003 §8: the service integrator decides within 5 working days of a complete submission. */
export const REVIEW_WORKING_DAYS = 5;
export const COMMENT_MAX = 4000;
export const NOTE_MAX = 4000;

export interface ServiceContext {
  requestId?: string;
  now?: Date;
}

export interface ReviewDeps {
  db: Kysely<Database>;
  store: DocumentStore;
  /** Public address, for the link in the certificate's QR code and in e-mails. */
  baseUrl: string;
  accountCodePrefix: string;
}

type Executor = Kysely<Database> | Transaction<Database>;

// ---------------------------------------------------------------------------------------------
// Completeness

export type CompletenessGap = Exclude<FundingGap, { type: 'lifecycle' }>;

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

/** What keeps the object from being submitted now: missing fields and documents (none: complete). */
export async function completenessGaps(db: Executor, row: { id: string; stage: string; step: string | null; passport: unknown }): Promise<CompletenessGap[]> {
  const accepted = await acceptedDocumentKinds(db, row.id, null);
  const check = operationFundingCheck({ state: stateOf(row), passport: row.passport, acceptedDocumentKinds: accepted });
  return check.missing.filter((gap): gap is CompletenessGap => gap.type !== 'lifecycle');
}

async function snapshotOf(db: Executor, row: Awaited<ReturnType<typeof loadVisibleObject>>): Promise<SubmissionSnapshot> {
  const organization = await db.selectFrom('organizations').select(['id', 'bin', 'name_kk', 'name_ru']).where('id', '=', row.organization_id).executeTakeFirstOrThrow();
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
      WHERE v.object_id = ${row.id}
        AND (SELECT count(*) FILTER (WHERE x.status = 'accepted') FROM document_files x WHERE x.document_version_id = v.id) = 2
      ORDER BY v.kind, v.version DESC
    ) latest
    JOIN document_files f ON f.document_version_id = latest.id
    ORDER BY latest.kind, f.slot`.execute(db);
  const documents = new Map<string, SubmissionSnapshot['documents'][number]>();
  for (const file of rows) {
    if (!isDocumentKind(file.kind)) continue;
    const entry = documents.get(file.kind) ?? ({ kind: file.kind, version: file.version, versionId: file.version_id, title: file.title } as SubmissionSnapshot['documents'][number]);
    entry[file.slot] = { id: file.file_id, sha256: file.sha256, name: file.original_name, sizeBytes: Number(file.size_bytes) };
    documents.set(file.kind, entry);
  }
  return {
    version: row.version,
    passport: row.passport as ObjectPassport,
    state: stateOf(row),
    organization: { id: organization.id, bin: organization.bin, nameKk: organization.name_kk, nameRu: organization.name_ru },
    documents: [...documents.values()],
  };
}

// ---------------------------------------------------------------------------------------------
// Views

export interface CaseSummary {
  id: string;
  number: string;
  objectId: string;
  objectName: { kk: string; ru: string };
  organization: { id: string; bin: string; nameKk: string; nameRu: string };
  kind: 'registration' | 'update';
  objectVersion: number;
  status: ReviewCaseStatus;
  submittedAt: Date;
  submittedByName: string;
  dueAt: Date;
  takenByName: string | null;
  takenById: string | null;
  decidedAt: Date | null;
  decidedByName: string | null;
  /** open: on_time / due_today / overdue now; decided: whether it was decided in time. */
  timeliness: 'on_time' | 'due_today' | 'overdue' | 'decided_on_time' | 'decided_late';
  deadline: DeadlineStatus | null;
}

export interface ReviewComment {
  id: string;
  targetType: 'field' | 'document' | 'general';
  target: string | null;
  body: string;
  authorName: string;
  createdAt: Date;
}

export interface CaseDetail extends CaseSummary {
  snapshot: SubmissionSnapshot;
  comments: ReviewComment[];
  decisionNote: string | null;
  /** The live object has changed since this submission (a new draft is being edited). */
  objectChangedSince: boolean;
  accountCode: string | null;
  issuedDocument: IssuedDocumentView | null;
  /** The organizations the submitted passport names, by id (owner, possessor). */
  organizations: Record<string, OrganizationRef>;
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

function timelinessOf(row: Pick<CaseRow, 'status' | 'due_at' | 'decided_at'>, now: Date, calendar: CalendarData): { timeliness: CaseSummary['timeliness']; deadline: DeadlineStatus | null } {
  if (row.decided_at) return { timeliness: row.decided_at <= row.due_at ? 'decided_on_time' : 'decided_late', deadline: null };
  const deadline = deadlineStatus(now, row.due_at, calendar);
  return { timeliness: deadline.overdue ? 'overdue' : deadline.dueToday ? 'due_today' : 'on_time', deadline };
}

function toSummary(row: CaseRow, now: Date, calendar: CalendarData): CaseSummary {
  const snapshot = row.snapshot as SubmissionSnapshot;
  return {
    id: row.id,
    number: row.number,
    objectId: row.object_id,
    objectName: { kk: snapshot.passport.name.full.kk, ru: snapshot.passport.name.full.ru },
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
    ...timelinessOf(row, now, calendar),
  };
}

async function commentsOf(db: Executor, caseId: string): Promise<ReviewComment[]> {
  const rows = await db
    .selectFrom('review_comments as m')
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .select(['m.id', 'm.target_type', 'm.target', 'm.body', 'm.created_at', 'u.surname', 'u.given_name', 'u.patronymic'])
    .where('m.case_id', '=', caseId)
    .orderBy('m.created_at')
    .execute();
  return rows.map((row) => ({ id: row.id, targetType: row.target_type, target: row.target, body: row.body, authorName: personName(row) ?? '', createdAt: row.created_at }));
}

async function issuedFor(db: Executor, where: { caseId?: string; objectId?: string }): Promise<IssuedDocumentView[]> {
  let query = db.selectFrom('issued_documents as i').innerJoin('users as u', 'u.id', 'i.approved_by').select(['i.id', 'i.number', 'i.issued_on', 'i.account_code', 'i.owner_bin', 'i.details', 'u.surname', 'u.given_name', 'u.patronymic']);
  if (where.caseId) query = query.where('i.case_id', '=', where.caseId);
  if (where.objectId) query = query.where('i.object_id', '=', where.objectId);
  const rows = await query.orderBy('i.issued_at', 'desc').execute();
  return rows.map((row) => {
    const details = row.details as { objectName: { kk: string; ru: string }; ownerName: { kk: string; ru: string } };
    return { id: row.id, number: row.number, issuedOn: row.issued_on, accountCode: row.account_code, ownerBin: row.owner_bin, approvedByName: personName(row) ?? '', objectName: details.objectName, ownerName: details.ownerName };
  });
}

// ---------------------------------------------------------------------------------------------
// The object's side: readiness, submission, what the reviewer said

export interface ObjectReview {
  reviewStatus: string;
  accountCode: string | null;
  complete: boolean;
  gaps: CompletenessGap[];
  canSubmit: boolean;
  openCase: CaseSummary | null;
  /** The last decided case: its comments are what staff fix before resubmitting. */
  lastDecided: (CaseSummary & { comments: ReviewComment[]; decisionNote: string | null }) | null;
  approvedVersion: number | null;
  /** The live passport differs from the approved one: a pending change, not yet reviewed. */
  changedSinceApproval: boolean;
  issuedDocuments: IssuedDocumentView[];
}

/**
 * The review side of one object. `known` is the object as getObject gave it to this same actor a
 * moment ago (the object page has it): its scoping, passport and completeness (004 §18's list is
 * the same as the submission's) are not loaded again.
 */
export async function getObjectReview(db: Kysely<Database>, actor: AuthUser | null | undefined, objectId: string, ctx: ServiceContext = {}, known?: ObjectDetail): Promise<ObjectReview> {
  requirePermission(actor, 'objects.read');
  const object = known?.id === objectId ? known : await getObject(db, actor, objectId, ctx);
  const now = ctx.now ?? new Date();
  const gaps = object.readOnly ? [] : object.funding.missing.filter((gap): gap is CompletenessGap => gap.type !== 'lifecycle');
  const cases = await caseQuery(db).where('c.object_id', '=', objectId).orderBy('c.submitted_at', 'desc').execute();
  const calendar = cases.length > 0 ? await loadCalendarData(db) : null;
  const open = cases.find((c) => c.status === 'open') ?? null;
  const decided = cases.find((c) => c.status !== 'open') ?? null;
  // Approval is what sets the approved case: it is always the latest approved one.
  const approved = cases.find((c) => c.status === 'approved') ?? null;
  return {
    reviewStatus: object.reviewStatus,
    accountCode: object.accountCode,
    complete: gaps.length === 0,
    gaps,
    canSubmit: gaps.length === 0 && !open && !object.readOnly && actor.role === 'staff',
    openCase: open && calendar ? toSummary(open, now, calendar) : null,
    lastDecided: decided && calendar ? { ...toSummary(decided, now, calendar), comments: await commentsOf(db, decided.id), decisionNote: decided.decision_note } : null,
    approvedVersion: approved?.object_version ?? null,
    changedSinceApproval: approved !== null && approved.object_version !== object.version,
    issuedDocuments: approved ? await issuedFor(db, { objectId }) : [],
  };
}

/**
 * The comments staff must act on, by what they concern: those of the last decided case while the
 * object stands returned (once resubmitted or approved they are history, on the case's page).
 */
export function commentsByTarget(review: ObjectReview): { fields: Record<string, ReviewComment[]>; documents: Record<string, ReviewComment[]>; general: ReviewComment[] } {
  const out = { fields: {} as Record<string, ReviewComment[]>, documents: {} as Record<string, ReviewComment[]>, general: [] as ReviewComment[] };
  if (review.reviewStatus !== 'returned' || !review.lastDecided || review.lastDecided.status !== 'returned') return out;
  for (const comment of review.lastDecided.comments) {
    if (comment.targetType === 'general' || !comment.target) out.general.push(comment);
    else (comment.targetType === 'field' ? out.fields : out.documents)[comment.target] = [...((comment.targetType === 'field' ? out.fields : out.documents)[comment.target] ?? []), comment];
  }
  return out;
}

async function nextCaseNumber(trx: Transaction<Database>, now: Date): Promise<string> {
  const { rows } = await sql<{ n: string }>`SELECT nextval('review_case_number_seq')::text AS n`.execute(trx);
  return `RC-${toAlmatyDate(now).slice(0, 4)}-${rows[0]!.n.padStart(6, '0')}`;
}

/**
 * Submits the object as it is now. Refusals: VALIDATION_FAILED with field "submission" and one
 * error per gap (rule missing_field with params.field, or missing_document with
 * params.documentKind); CONFLICT reason case_open or object_terminated.
 */
export async function submitForReview(deps: Pick<ReviewDeps, 'db' | 'baseUrl'>, actor: AuthUser | null | undefined, objectId: string, ctx: ServiceContext = {}): Promise<CaseSummary> {
  requirePermission(actor, 'objects.edit');
  const { db } = deps;
  const now = ctx.now ?? new Date();
  const calendar = await loadCalendarData(db);
  const id = await db.transaction().execute(async (trx) => {
    const row = await loadVisibleObject(trx, actor, objectId, { lock: true });
    if (isReadOnly(stateOf(row))) throw new AppError('CONFLICT', 'the object is terminated and read-only', { reason: 'object_terminated' });
    const open = await trx.selectFrom('review_cases').select('number').where('object_id', '=', objectId).where('status', '=', 'open').executeTakeFirst();
    if (open) throw new AppError('CONFLICT', `case ${open.number} is already open`, { reason: 'case_open', number: open.number });
    const gaps = await completenessGaps(trx, row);
    if (gaps.length > 0) {
      const fields = gaps.map(
        (gap): FieldError =>
          gap.type === 'field' ? { field: 'submission', rule: 'missing_field', params: { field: gap.field } } : { field: 'submission', rule: 'missing_document', params: { documentKind: gap.documentKind } },
      );
      throw new AppError('VALIDATION_FAILED', 'the submission is not complete', { fields });
    }
    const snapshot = await snapshotOf(trx, row);
    const kind = row.account_code ? 'update' : 'registration';
    const due = dueAt(now, REVIEW_WORKING_DAYS, calendar);
    const number = await nextCaseNumber(trx, now);
    const created = await trx
      .insertInto('review_cases')
      .values({
        number,
        object_id: objectId,
        organization_id: row.organization_id,
        kind,
        object_version: row.version,
        snapshot: JSON.stringify(snapshot),
        submitted_at: now,
        submitted_by: actor.id,
        due_at: due,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await setReviewStatus(trx, objectId, 'submitted');
    await recordAuditEvent(trx, {
      actor: userActor(actor),
      entityType: 'review_case',
      entityId: created.id,
      action: 'review_case.submitted',
      before: { reviewStatus: row.review_status },
      after: { number, objectId, kind, objectVersion: row.version, dueAt: due.toISOString(), documents: snapshot.documents.map((d) => ({ kind: d.kind, version: d.version })) },
      requestId: ctx.requestId ?? null,
    });
    await enqueueMail(trx, {
      to: actor.email,
      template: 'review_submitted',
      params: { fullName: actor.fullName, caseNumber: number, objectName: snapshot.passport.name.full.ru, objectNameKk: snapshot.passport.name.full.kk, dueAt: due, link: `${deps.baseUrl}/objects/${objectId}#review` },
      entity: { type: 'review_case', id: created.id },
    });
    return created.id;
  });
  const row = await caseQuery(db).where('c.id', '=', id).executeTakeFirstOrThrow();
  return toSummary(row, now, calendar);
}

// ---------------------------------------------------------------------------------------------
// The reviewer's side

export const QUEUE_FILTERS = ['open', 'mine', 'overdue', 'returned', 'approved', 'all'] as const;
export type QueueFilter = (typeof QUEUE_FILTERS)[number];

export async function listReviewCases(db: Kysely<Database>, actor: AuthUser | null | undefined, filter: QueueFilter, ctx: ServiceContext = {}): Promise<CaseSummary[]> {
  requirePermission(actor, 'reviews.read');
  const now = ctx.now ?? new Date();
  const calendar = await loadCalendarData(db);
  let query = caseQuery(db);
  if (filter === 'open' || filter === 'mine' || filter === 'overdue') query = query.where('c.status', '=', 'open');
  if (filter === 'mine') query = query.where('c.taken_by', '=', actor.id);
  if (filter === 'overdue') query = query.where('c.due_at', '<', now);
  if (filter === 'returned' || filter === 'approved') query = query.where('c.status', '=', filter);
  // Open cases by due date, soonest first; decided ones newest first.
  const rows = await (filter === 'returned' || filter === 'approved' ? query.orderBy('c.decided_at', 'desc') : query.orderBy('c.due_at').orderBy('c.number')).limit(500).execute();
  return rows.map((row) => toSummary(row, now, calendar));
}

export async function getReviewCase(db: Kysely<Database>, actor: AuthUser | null | undefined, caseId: string, ctx: ServiceContext = {}): Promise<CaseDetail> {
  requirePermission(actor, 'reviews.read');
  if (!UUID.test(caseId)) throw new AppError('NOT_FOUND');
  const row = await caseQuery(db).where('c.id', '=', caseId).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  const now = ctx.now ?? new Date();
  const calendar = await loadCalendarData(db);
  const [issued] = await issuedFor(db, { caseId });
  return {
    ...toSummary(row, now, calendar),
    snapshot: row.snapshot as SubmissionSnapshot,
    comments: await commentsOf(db, caseId),
    decisionNote: row.decision_note,
    objectChangedSince: row.current_version !== row.object_version,
    accountCode: row.account_code,
    issuedDocument: issued ?? null,
    organizations: await organizationsById(db, [row.organization_id, ...referencedOrganizationIds((row.snapshot as SubmissionSnapshot).passport)]),
  };
}

async function lockOpenCase(trx: Transaction<Database>, caseId: string) {
  if (!UUID.test(caseId)) throw new AppError('NOT_FOUND');
  const row = await trx.selectFrom('review_cases').selectAll().where('id', '=', caseId).forUpdate().executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  if (row.status !== 'open') throw new AppError('CONFLICT', `the case is ${row.status}`, { reason: 'case_decided', status: row.status });
  return row;
}

/** The reviewer takes the case on (or over from a colleague): the queue shows whose it is. */
export async function takeReviewCase(db: Kysely<Database>, actor: AuthUser | null | undefined, caseId: string, ctx: ServiceContext = {}): Promise<void> {
  requirePermission(actor, 'reviews.decide');
  await db.transaction().execute(async (trx) => {
    const row = await lockOpenCase(trx, caseId);
    if (row.taken_by === actor.id) return;
    const now = ctx.now ?? new Date();
    await trx.updateTable('review_cases').set({ taken_by: actor.id, taken_at: now }).where('id', '=', caseId).execute();
    await recordAuditEvent(trx, { actor: userActor(actor), entityType: 'review_case', entityId: caseId, action: 'review_case.taken', before: { takenBy: row.taken_by }, after: { takenBy: actor.id }, requestId: ctx.requestId ?? null });
  });
}

export interface CommentInput {
  /** 'general', 'field:<passport path>' or 'document:<kind>'. */
  target: string;
  body: string;
}

/** Field errors: target (unknown), body (required, too_long). */
export async function addReviewComment(db: Kysely<Database>, actor: AuthUser | null | undefined, caseId: string, input: CommentInput, ctx: ServiceContext = {}): Promise<ReviewComment> {
  requirePermission(actor, 'reviews.decide');
  const body = (input.body ?? '').trim();
  return db.transaction().execute(async (trx) => {
    const row = await lockOpenCase(trx, caseId);
    const snapshot = row.snapshot as SubmissionSnapshot;
    const target = parseTarget(input.target ?? '', snapshot);
    const errors: FieldError[] = [];
    if (!target) errors.push({ field: 'target', rule: 'invalid' });
    if (!body) errors.push({ field: 'body', rule: 'required' });
    else if (body.length > COMMENT_MAX) errors.push({ field: 'body', rule: 'too_long', params: { max: COMMENT_MAX } });
    if (errors.length > 0 || !target) throw new AppError('VALIDATION_FAILED', 'the comment cannot be added', { fields: errors });
    const now = ctx.now ?? new Date();
    const created = await trx
      .insertInto('review_comments')
      .values({ case_id: caseId, target_type: target.type, target: target.target, body, author_id: actor.id, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, { actor: userActor(actor), entityType: 'review_case', entityId: caseId, action: 'review_case.commented', after: { commentId: created.id, targetType: target.type, target: target.target, body }, requestId: ctx.requestId ?? null });
    return { id: created.id, targetType: target.type, target: target.target, body, authorName: actor.fullName, createdAt: now };
  });
}

/** Passport paths a comment may point at: every leaf of the submitted passport and the fields its stage requires. */
export function commentableFields(snapshot: SubmissionSnapshot): string[] {
  const paths = new Set<string>();
  const walk = (value: unknown, prefix: string) => {
    if (Array.isArray(value)) value.forEach((item, index) => walk(item, `${prefix}.${index}`));
    else if (value && typeof value === 'object') for (const [key, child] of Object.entries(value)) walk(child, prefix ? `${prefix}.${key}` : key);
    else if (prefix) paths.add(prefix);
  };
  walk(snapshot.passport, '');
  return [...paths];
}

function parseTarget(target: string, snapshot: SubmissionSnapshot): { type: 'field' | 'document' | 'general'; target: string | null } | null {
  if (target === 'general') return { type: 'general', target: null };
  const [type, ...rest] = target.split(':');
  const value = rest.join(':');
  if (type === 'field' && commentableFields(snapshot).includes(value)) return { type: 'field', target: value };
  if (type === 'document' && isDocumentKind(value)) return { type: 'document', target: value };
  return null;
}

export interface DecisionInput {
  decision: string;
  note?: string | null;
}

export interface DecisionResult {
  caseId: string;
  status: 'returned' | 'approved';
  accountCode: string | null;
  issuedDocument: IssuedDocumentView | null;
}

/**
 * Approvals of this process, one at a time. An approval holds the year's account-code counter row
 * from taking the next code until it commits, with the extract's PDF rendered and stored in
 * between, so approvals run one after another in the database whatever happens here. Waiting for
 * that row, each held a pooled connection: ten approvals at once took every connection of the pool,
 * every other request of the portal waited behind them, and approvals past the tenth failed after
 * the pool's 10 s ("50 cases in parallel" in tests/integration/reviews.test.ts did, on a slow
 * moment of the 2-core machine). Queued here, they wait without a connection. Several processes
 * are still kept apart by the counter row itself.
 */
const oneApprovalAtATime = pLimit(1);

/**
 * Returns the case for completion (it needs at least one comment or a note: staff must learn what
 * to fix) or approves it. Field errors: decision (invalid), note (too_long, required_for_return).
 */
export async function decideReviewCase(deps: ReviewDeps, actor: AuthUser | null | undefined, caseId: string, input: DecisionInput, ctx: ServiceContext = {}): Promise<DecisionResult> {
  requirePermission(actor, 'reviews.decide');
  const note = (input.note ?? '').trim();
  const errors: FieldError[] = [];
  if (input.decision !== 'return' && input.decision !== 'approve') errors.push({ field: 'decision', rule: 'invalid' });
  if (note.length > NOTE_MAX) errors.push({ field: 'note', rule: 'too_long', params: { max: NOTE_MAX } });
  if (errors.length > 0) throw new AppError('VALIDATION_FAILED', 'the decision cannot be recorded', { fields: errors });
  return input.decision === 'approve' ? oneApprovalAtATime(() => decide(deps, actor, caseId, input, note, ctx)) : decide(deps, actor, caseId, input, note, ctx);
}

async function decide(deps: ReviewDeps, actor: AuthUser, caseId: string, input: DecisionInput, note: string, ctx: ServiceContext): Promise<DecisionResult> {
  const { db, store } = deps;
  const now = ctx.now ?? new Date();
  let committedPdf: { sha256: string; created: boolean } | null = null;
  try {
    return await db.transaction().execute(async (trx): Promise<DecisionResult> => {
      const row = await lockOpenCase(trx, caseId);
      const object = await trx.selectFrom('objects').selectAll().where('id', '=', row.object_id).forUpdate().executeTakeFirstOrThrow();
      const snapshot = row.snapshot as SubmissionSnapshot;
      const submitter = await trx.selectFrom('users').select(['email', 'surname', 'given_name', 'patronymic']).where('id', '=', row.submitted_by).executeTakeFirstOrThrow();
      const link = `${deps.baseUrl}/objects/${row.object_id}#review`;

      if (input.decision === 'return') {
        const comments = await commentsOf(trx, caseId);
        if (comments.length === 0 && !note) throw new AppError('VALIDATION_FAILED', 'say what to complete or change', { fields: [{ field: 'note', rule: 'required_for_return' }] });
        await trx.updateTable('review_cases').set({ status: 'returned', decided_at: now, decided_by: actor.id, decision_note: note || null }).where('id', '=', caseId).execute();
        await setReviewStatus(trx, row.object_id, 'returned');
        await recordAuditEvent(trx, {
          actor: userActor(actor),
          entityType: 'review_case',
          entityId: caseId,
          action: 'review_case.returned',
          before: { status: 'open' },
          after: { status: 'returned', note: note || null, comments: comments.length, onTime: now <= row.due_at },
          requestId: ctx.requestId ?? null,
        });
        await enqueueMail(trx, {
          to: submitter.email,
          template: 'review_returned',
          params: { fullName: personName(submitter) ?? submitter.email, caseNumber: row.number, objectName: snapshot.passport.name.full.ru, objectNameKk: snapshot.passport.name.full.kk, comments: comments.length, note, link },
          entity: { type: 'review_case', id: caseId },
        });
        return { caseId, status: 'returned', accountCode: object.account_code, issuedDocument: null };
      }

      // Approve: the account code once for the object's life (003 §4.5), then the extract (002).
      let accountCode = object.account_code;
      const year = Number(toAlmatyDate(now).slice(0, 4));
      if (!accountCode) {
        const { rows } = await sql<{ last_value: number }>`
          INSERT INTO account_code_counters (year, last_value) VALUES (${year}, 1)
          ON CONFLICT (year) DO UPDATE SET last_value = account_code_counters.last_value + 1
          RETURNING last_value`.execute(trx);
        accountCode = formatAccountCode({ prefix: deps.accountCodePrefix, year, sequence: rows[0]!.last_value });
      }
      const issuedOn = toAlmatyDate(now);
      const number = await uniqueDocumentNumber(trx, year);
      const objectName = { kk: snapshot.passport.name.full.kk, ru: snapshot.passport.name.full.ru };
      const ownerName = { kk: snapshot.organization.nameKk, ru: snapshot.organization.nameRu };
      const verificationUrl = `${deps.baseUrl}/verify?number=${encodeURIComponent(number)}&bin=${encodeURIComponent(snapshot.organization.bin)}`;
      const pdf = await renderCertificatePdf({ documentNumber: number, issuedOn, accountCode, objectName, ownerName, ownerBin: snapshot.organization.bin, approvedBy: actor.fullName, verificationUrl });
      const received = await store.receive(Readable.from([pdf]), Math.max(pdf.length, 1));
      committedPdf = { sha256: received.sha256, ...(await store.commit(received)) };

      await trx.updateTable('review_cases').set({ status: 'approved', decided_at: now, decided_by: actor.id, decision_note: note || null }).where('id', '=', caseId).execute();
      await recordObjectApproval(trx, row.object_id, { accountCode, caseId });
      const issued = await trx
        .insertInto('issued_documents')
        .values({
          number,
          kind: 'registration_extract',
          object_id: row.object_id,
          case_id: caseId,
          account_code: accountCode,
          owner_bin: snapshot.organization.bin,
          issued_on: issuedOn,
          issued_at: now,
          approved_by: actor.id,
          details: JSON.stringify({ objectName, ownerName, approvedByName: actor.fullName, objectVersion: row.object_version, verificationUrl }),
          pdf_sha256: received.sha256,
          pdf_size_bytes: received.size,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordAuditEvent(trx, {
        actor: userActor(actor),
        entityType: 'review_case',
        entityId: caseId,
        action: 'review_case.approved',
        before: { status: 'open', accountCode: object.account_code },
        after: { status: 'approved', accountCode, objectVersion: row.object_version, issuedDocument: number, onTime: now <= row.due_at },
        requestId: ctx.requestId ?? null,
      });
      if (!object.account_code) {
        await recordAuditEvent(trx, { actor: userActor(actor), entityType: 'object', entityId: row.object_id, action: 'object.account_code_assigned', before: { accountCode: null }, after: { accountCode }, requestId: ctx.requestId ?? null });
      }
      await enqueueMail(trx, {
        to: submitter.email,
        template: 'review_approved',
        params: { fullName: personName(submitter) ?? submitter.email, caseNumber: row.number, objectName: objectName.ru, objectNameKk: objectName.kk, accountCode, documentNumber: number, link },
        entity: { type: 'review_case', id: caseId },
      });
      return {
        caseId,
        status: 'approved',
        accountCode,
        issuedDocument: { id: issued.id, number, issuedOn, accountCode, ownerBin: snapshot.organization.bin, approvedByName: actor.fullName, objectName, ownerName },
      };
    });
  } catch (error) {
    const pdf = committedPdf as { sha256: string; created: boolean } | null;
    if (pdf?.created) {
      const used = await db.selectFrom('issued_documents').select('id').where('pdf_sha256', '=', pdf.sha256).executeTakeFirst();
      if (!used) await store.remove(pdf.sha256).catch(() => undefined);
    }
    throw error;
  }
}

/** Crockford's base32 without I, L, O, U: unambiguous when read out or typed from paper. */
const NUMBER_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function randomBlock(length: number): string {
  const bytes = randomBytes(length);
  return [...bytes].map((byte) => NUMBER_ALPHABET[byte % 32]).join('');
}

/** EXT-2026-7KQ2-M9XD: random, so issued numbers cannot be guessed one from another. */
async function uniqueDocumentNumber(trx: Transaction<Database>, year: number): Promise<string> {
  for (;;) {
    const number = `EXT-${year}-${randomBlock(4)}-${randomBlock(4)}`;
    const taken = await trx.selectFrom('issued_documents').select('id').where('number', '=', number).executeTakeFirst();
    if (!taken) return number;
  }
}

// ---------------------------------------------------------------------------------------------
// Issued documents: download and public verification (002)

export function normalizeDocumentNumber(value: string): string {
  return value.trim().toUpperCase().replace(/\s+/g, '');
}

/** Anyone: the document with this number AND this owner BIN, or null — never which of the two failed. */
export async function verifyIssuedDocument(db: Kysely<Database>, number: string, bin: string): Promise<IssuedDocumentView | null> {
  const normalized = normalizeDocumentNumber(number);
  const cleanBin = bin.replace(/\s+/g, '');
  if (!/^EXT-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(normalized) || !/^\d{12}$/.test(cleanBin)) return null;
  const rows = await db.selectFrom('issued_documents').select('id').where('number', '=', normalized).where('owner_bin', '=', cleanBin).execute();
  if (rows.length !== 1) return null;
  const [view] = (await issuedFor(db, {})).filter((d) => d.id === rows[0]!.id);
  return view ?? null;
}

export interface CertificateDownload {
  path: string;
  fileName: string;
  sha256: string;
  sizeBytes: number;
}

async function certificateFile(db: Kysely<Database>, store: DocumentStore, where: { id?: string; number?: string; bin?: string }): Promise<CertificateDownload & { objectId: string; organizationId: string }> {
  let query = db.selectFrom('issued_documents as i').innerJoin('objects as o', 'o.id', 'i.object_id').select(['i.id', 'i.number', 'i.pdf_sha256', 'i.pdf_size_bytes', 'i.object_id', 'o.organization_id']);
  if (where.id) query = query.where('i.id', '=', where.id);
  if (where.number) query = query.where('i.number', '=', where.number);
  if (where.bin) query = query.where('i.owner_bin', '=', where.bin);
  const row = await query.executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  if (!(await store.exists(row.pdf_sha256))) throw new AppError('SERVICE_UNAVAILABLE', 'the stored extract is missing');
  return { path: store.pathFor(row.pdf_sha256), fileName: `${row.number}.pdf`, sha256: row.pdf_sha256, sizeBytes: row.pdf_size_bytes, objectId: row.object_id, organizationId: row.organization_id };
}

/** Signed in: an extract of an object this user may read. */
export async function openIssuedDocument(db: Kysely<Database>, store: DocumentStore, actor: AuthUser | null | undefined, documentId: string): Promise<CertificateDownload> {
  requirePermission(actor, 'objects.read');
  if (!UUID.test(documentId)) throw new AppError('NOT_FOUND');
  const file = await certificateFile(db, store, { id: documentId });
  requireSameOrganization(actor, file.organizationId);
  return file;
}

/** Anyone who holds the number and the BIN (as on the paper, or from the QR code). */
export async function openVerifiedDocument(db: Kysely<Database>, store: DocumentStore, number: string, bin: string): Promise<CertificateDownload> {
  const verified = await verifyIssuedDocument(db, number, bin);
  if (!verified) throw new AppError('NOT_FOUND');
  return certificateFile(db, store, { id: verified.id });
}

// ---------------------------------------------------------------------------------------------
// Reports

export async function slaCases(db: Kysely<Database>, actor: AuthUser | null | undefined) {
  requirePermission(actor, 'reviews.read');
  const rows = await db
    .selectFrom('review_cases as c')
    .leftJoin('users as d', (join) => join.on(sql<boolean>`d.id = coalesce(c.decided_by, c.taken_by)`))
    .select(['c.id', 'c.submitted_at', 'c.due_at', 'c.decided_at', 'c.status', 'c.decided_by', 'c.taken_by', 'd.id as reviewer_id', 'd.surname', 'd.given_name', 'd.patronymic'])
    .execute();
  return rows.map((row) => ({
    id: row.id,
    receivedAt: row.submitted_at,
    dueOn: toAlmatyDate(row.due_at),
    decidedAt: row.decided_at,
    decision: row.status === 'approved' ? ('approved' as const) : row.status === 'returned' ? ('returned' as const) : null,
    reviewerId: row.reviewer_id ?? null,
    reviewerName: personName(row),
  }));
}

export type { DeadlineStatus };
