/**
 * Review by the service integrator (003 §8; domain.md Workflow C and F): submission and the
 * reviewer's queue. Decisions are in review-decisions.service.ts, the issued extracts and their
 * verification in issued-documents.service.ts, the deadline report in sla.service.ts.
 *
 *  - A submission is complete when the passport has every field its kind and stage require and
 *    every document the stage requires is placed and accepted (the same list as 004 §18's check,
 *    lifecycle.ts operationFundingCheck). Only a complete object can be submitted.
 *  - Submitting opens a review case due 5 working days later (working-day calendar), with the
 *    submission frozen in the case: the passport as of that version and the accepted files. Staff
 *    may go on editing; the reviewer sees, and approves, exactly what was submitted.
 *  - The reviewer takes the case and comments on fields and documents before deciding it.
 *
 * Every step checks its permission first, then changes state and writes its audit event (and its
 * e-mails, through the outbox) in one transaction, re-checking the case's state under a row lock.
 */
import { createHash } from 'node:crypto';
import { type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import { loadCalendarData } from '../calendar/calendar.service.ts';
import { type CalendarData, deadlineStatus, type DeadlineStatus, dueAt, toAlmatyDate } from '../calendar/working-days.ts';
import { acceptedDocumentKinds } from '../objects/objects.repository.ts';
import { enqueueMail } from '../notifications/outbox.service.ts';
import { isDocumentKind } from '../objects/document-kinds.ts';
import { type FundingGap, isReadOnly, operationFundingCheck, stateOf } from '../objects/lifecycle.ts';
import { getObject, loadVisibleObject, type ObjectDetail, referencedOrganizationIds } from '../objects/objects.service.ts';
import { type OrganizationRef, organizationsById } from '../organizations/organizations.repository.ts';
import type { ObjectPassport } from '../objects/passport.ts';
import { setReviewStatus } from '../objects/objects.repository.ts';
import type { CanonicalManifest } from '../signatures/manifest.ts';
import type { SignatureChecker } from '../signatures/signature-checker.ts';
import { checkSignedSnapshot, newSubmissionManifest, type SignedSubmissionInput, signatureRefusal, verifySubmissionSignature } from './submission-signature.ts';
import {
  type CaseRecord,
  type CaseSignature,
  caseComments,
  caseExists,
  caseSignatureFiles,
  caseSignatures,
  insertCaseSignature,
  type SignaturePurposeOfCase,
  personById,
  casesOfObject,
  findCase,
  insertCase,
  insertComment,
  issuedDocuments,
  type IssuedDocumentView,
  latestAcceptedDocumentFiles,
  listCases,
  type LockedCase,
  lockCase,
  nextCaseNumber,
  openCaseNumber,
  organizationOf,
  type ReviewComment,
  setCaseTaken,
  type SubmissionSnapshot,
} from './reviews.repository.ts';

/** 003 §8: the service integrator decides within 5 working days of a complete submission. */
export const REVIEW_WORKING_DAYS = 5;
export const COMMENT_MAX = 4000;
export const NOTE_MAX = 4000;

export interface ServiceContext {
  requestId?: string;
  now?: Date;
}

type Executor = Kysely<Database> | Transaction<Database>;

// ---------------------------------------------------------------------------------------------
// Completeness

export type CompletenessGap = Exclude<FundingGap, { type: 'lifecycle' }>;

/** What keeps the object from being submitted now: missing fields and documents (none: complete). */
export async function completenessGaps(db: Executor, row: { id: string; stage: string; step: string | null; passport: unknown }): Promise<CompletenessGap[]> {
  const accepted = await acceptedDocumentKinds(db, row.id, null);
  const check = operationFundingCheck({ state: stateOf(row), passport: row.passport, acceptedDocumentKinds: accepted });
  return check.missing.filter((gap): gap is CompletenessGap => gap.type !== 'lifecycle');
}

async function snapshotOf(db: Executor, row: Awaited<ReturnType<typeof loadVisibleObject>>): Promise<SubmissionSnapshot> {
  const organization = await organizationOf(db, row.organization_id);
  const documents = new Map<string, SubmissionSnapshot['documents'][number]>();
  for (const entry of await latestAcceptedDocumentFiles(db, row.id)) {
    if (!isDocumentKind(entry.kind)) continue;
    const document = documents.get(entry.kind) ?? ({ kind: entry.kind, version: entry.version, versionId: entry.versionId, title: entry.title } as SubmissionSnapshot['documents'][number]);
    document[entry.slot] = entry.file;
    documents.set(entry.kind, document);
  }
  return { version: row.version, passport: row.passport as ObjectPassport, state: stateOf(row), organization, documents: [...documents.values()] };
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
  status: CaseRecord['status'];
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
  /** The ЭЦП signatures of the case (the submission's); none when it was submitted unsigned. */
  signatures: CaseSignature[];
}

/** What the audit event keeps of a signature: enough to find the certificate and the signed bytes again. */
function signatureAudit(signature: Omit<CaseSignature, 'manifestSha256'> & { manifest: Uint8Array }) {
  return {
    signerIin: signature.signerIin,
    signerBin: signature.signerBin,
    certificateSerial: signature.certificateSerial,
    certificateIssuer: signature.certificateIssuer,
    signingTime: signature.signingTime?.toISOString() ?? null,
    revocation: signature.revocationStatus,
    manifestSha256: createHash('sha256').update(signature.manifest).digest('hex'),
  };
}

function timelinessOf(record: Pick<CaseRecord, 'dueAt' | 'decidedAt'>, now: Date, calendar: CalendarData): { timeliness: CaseSummary['timeliness']; deadline: DeadlineStatus | null } {
  if (record.decidedAt) return { timeliness: record.decidedAt <= record.dueAt ? 'decided_on_time' : 'decided_late', deadline: null };
  const deadline = deadlineStatus(now, record.dueAt, calendar);
  return { timeliness: deadline.overdue ? 'overdue' : deadline.dueToday ? 'due_today' : 'on_time', deadline };
}

function toSummary(record: CaseRecord, now: Date, calendar: CalendarData): CaseSummary {
  return {
    id: record.id,
    number: record.number,
    objectId: record.objectId,
    objectName: { kk: record.snapshot.passport.name.full.kk, ru: record.snapshot.passport.name.full.ru },
    organization: record.organization,
    kind: record.kind,
    objectVersion: record.objectVersion,
    status: record.status,
    submittedAt: record.submittedAt,
    submittedByName: record.submittedByName,
    dueAt: record.dueAt,
    takenById: record.takenById,
    takenByName: record.takenByName,
    decidedAt: record.decidedAt,
    decidedByName: record.decidedByName,
    ...timelinessOf(record, now, calendar),
  };
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
  const cases = await casesOfObject(db, objectId);
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
    lastDecided: decided && calendar ? { ...toSummary(decided, now, calendar), comments: await caseComments(db, decided.id), decisionNote: decided.decisionNote } : null,
    approvedVersion: approved?.objectVersion ?? null,
    changedSinceApproval: approved !== null && approved.objectVersion !== object.version,
    issuedDocuments: approved ? await issuedDocuments(db, { objectId }) : [],
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

export interface SubmitDeps {
  db: Kysely<Database>;
  baseUrl: string;
  /** Verifies signed submissions (config.pki); null or absent: no trust store, submissions are not signed. */
  signing?: SignatureChecker | null;
}

async function submittableSnapshot(trx: Transaction<Database>, actor: AuthUser, objectId: string) {
  const row = await loadVisibleObject(trx, actor, objectId, { lock: true });
  if (isReadOnly(stateOf(row))) throw new AppError('CONFLICT', 'the object is terminated and read-only', { reason: 'object_terminated' });
  const open = await openCaseNumber(trx, objectId);
  if (open) throw new AppError('CONFLICT', `case ${open} is already open`, { reason: 'case_open', number: open });
  const gaps = await completenessGaps(trx, row);
  if (gaps.length > 0) {
    const fields = gaps.map(
      (gap): FieldError =>
        gap.type === 'field' ? { field: 'submission', rule: 'missing_field', params: { field: gap.field } } : { field: 'submission', rule: 'missing_document', params: { documentKind: gap.documentKind } },
    );
    throw new AppError('VALIDATION_FAILED', 'the submission is not complete', { fields });
  }
  return { row, snapshot: await snapshotOf(trx, row) };
}

/**
 * The manifest a staff member signs to submit the object as it is now (submission-signature.ts):
 * the same refusals as submitForReview, so that nothing is signed that could not be submitted.
 */
export async function submissionManifest(db: Kysely<Database>, actor: AuthUser | null | undefined, objectId: string, ctx: ServiceContext = {}): Promise<CanonicalManifest> {
  requirePermission(actor, 'objects.edit');
  return db.transaction().execute(async (trx) => newSubmissionManifest(objectId, (await submittableSnapshot(trx, actor, objectId)).snapshot, ctx.now ?? new Date()));
}

/**
 * Submits the object as it is now. Refusals: VALIDATION_FAILED with field "submission" and one
 * error per gap (rule missing_field with params.field, or missing_document with
 * params.documentKind); CONFLICT reason case_open or object_terminated. With a trust store
 * (deps.signing) the submission must be signed: VALIDATION_FAILED with field "signature" and the
 * rules of submission-signature.ts; the case then keeps the manifest, the CMS and the signer.
 */
export async function submitForReview(deps: SubmitDeps, actor: AuthUser | null | undefined, objectId: string, ctx: ServiceContext = {}, signedInput: SignedSubmissionInput = {}): Promise<CaseSummary> {
  requirePermission(actor, 'objects.edit');
  const { db } = deps;
  const now = ctx.now ?? new Date();
  const calendar = await loadCalendarData(db);
  const signed = deps.signing ? await verifySubmissionSignature(deps.signing, objectId, signedInput, now) : null;
  const id = await db.transaction().execute(async (trx) => {
    const { row, snapshot } = await submittableSnapshot(trx, actor, objectId);
    const signature = signed ? checkSignedSnapshot(signed, objectId, snapshot, await personById(trx, actor.id), now) : null;
    // The signed submission id becomes the case's: a manifest opens one case only.
    if (signed && (await caseExists(trx, signed.manifest.submissionId))) throw signatureRefusal('signature_manifest_stale');
    const kind = row.account_code ? 'update' : 'registration';
    const due = dueAt(now, REVIEW_WORKING_DAYS, calendar);
    const number = await nextCaseNumber(trx, toAlmatyDate(now).slice(0, 4));
    const caseId = await insertCase(trx, {
      ...(signed ? { id: signed.manifest.submissionId } : {}),
      number, objectId, organizationId: row.organization_id, kind, objectVersion: row.version, snapshot, submittedAt: now, submittedBy: actor.id, dueAt: due,
    });
    if (signature) await insertCaseSignature(trx, { ...signature, caseId });
    await setReviewStatus(trx, objectId, 'submitted');
    await recordAuditEvent(trx, {
      actor: userActor(actor),
      entityType: 'review_case',
      entityId: caseId,
      action: 'review_case.submitted',
      before: { reviewStatus: row.review_status },
      after: {
        number, objectId, kind, objectVersion: row.version, dueAt: due.toISOString(), documents: snapshot.documents.map((d) => ({ kind: d.kind, version: d.version })),
        signature: signature ? signatureAudit(signature) : null,
      },
      requestId: ctx.requestId ?? null,
    });
    await enqueueMail(trx, {
      to: actor.email,
      template: 'review_submitted',
      params: { fullName: actor.fullName, caseNumber: number, objectName: snapshot.passport.name.full.ru, objectNameKk: snapshot.passport.name.full.kk, dueAt: due, link: `${deps.baseUrl}/objects/${objectId}#review` },
      entity: { type: 'review_case', id: caseId },
    });
    return caseId;
  });
  return toSummary((await findCase(db, id))!, now, calendar);
}

// ---------------------------------------------------------------------------------------------
// The reviewer's side

export const QUEUE_FILTERS = ['open', 'mine', 'overdue', 'returned', 'approved', 'all'] as const;
export type QueueFilter = (typeof QUEUE_FILTERS)[number];

export async function listReviewCases(db: Kysely<Database>, actor: AuthUser | null | undefined, filter: QueueFilter, ctx: ServiceContext = {}): Promise<CaseSummary[]> {
  requirePermission(actor, 'reviews.read');
  const now = ctx.now ?? new Date();
  const calendar = await loadCalendarData(db);
  return (await listCases(db, filter, { actorId: actor.id, now })).map((record) => toSummary(record, now, calendar));
}

export async function getReviewCase(db: Kysely<Database>, actor: AuthUser | null | undefined, caseId: string, ctx: ServiceContext = {}): Promise<CaseDetail> {
  requirePermission(actor, 'reviews.read');
  if (!UUID.test(caseId)) throw new AppError('NOT_FOUND');
  const record = await findCase(db, caseId);
  if (!record) throw new AppError('NOT_FOUND');
  const now = ctx.now ?? new Date();
  const calendar = await loadCalendarData(db);
  const [issued] = await issuedDocuments(db, { caseId });
  return {
    ...toSummary(record, now, calendar),
    snapshot: record.snapshot,
    comments: await caseComments(db, caseId),
    decisionNote: record.decisionNote,
    objectChangedSince: record.currentObjectVersion !== record.objectVersion,
    accountCode: record.accountCode,
    issuedDocument: issued ?? null,
    organizations: await organizationsById(db, [record.organization.id, ...referencedOrganizationIds(record.snapshot.passport)]),
    signatures: await caseSignatures(db, caseId),
  };
}

/** The signed bytes and the CMS of the case's signature, for a reviewer to download; NOT_FOUND when it has none. */
export async function getCaseSignatureFiles(db: Kysely<Database>, actor: AuthUser | null | undefined, caseId: string, purpose: SignaturePurposeOfCase): Promise<{ number: string; manifest: Buffer; cms: Buffer }> {
  requirePermission(actor, 'reviews.read');
  if (!UUID.test(caseId)) throw new AppError('NOT_FOUND');
  const record = await findCase(db, caseId);
  const files = record ? await caseSignatureFiles(db, caseId, purpose) : null;
  if (!record || !files) throw new AppError('NOT_FOUND');
  return { number: record.number, ...files };
}

/** The open case, locked for the transaction; NOT_FOUND, or CONFLICT reason case_decided. */
export async function lockOpenCase(trx: Transaction<Database>, caseId: string): Promise<LockedCase> {
  if (!UUID.test(caseId)) throw new AppError('NOT_FOUND');
  const locked = await lockCase(trx, caseId);
  if (!locked) throw new AppError('NOT_FOUND');
  if (locked.status !== 'open') throw new AppError('CONFLICT', `the case is ${locked.status}`, { reason: 'case_decided', status: locked.status });
  return locked;
}

/** The reviewer takes the case on (or over from a colleague): the queue shows whose it is. */
export async function takeReviewCase(db: Kysely<Database>, actor: AuthUser | null | undefined, caseId: string, ctx: ServiceContext = {}): Promise<void> {
  requirePermission(actor, 'reviews.decide');
  await db.transaction().execute(async (trx) => {
    const locked = await lockOpenCase(trx, caseId);
    if (locked.takenBy === actor.id) return;
    await setCaseTaken(trx, caseId, actor.id, ctx.now ?? new Date());
    await recordAuditEvent(trx, { actor: userActor(actor), entityType: 'review_case', entityId: caseId, action: 'review_case.taken', before: { takenBy: locked.takenBy }, after: { takenBy: actor.id }, requestId: ctx.requestId ?? null });
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
    const locked = await lockOpenCase(trx, caseId);
    const target = parseTarget(input.target ?? '', locked.snapshot);
    const errors: FieldError[] = [];
    if (!target) errors.push({ field: 'target', rule: 'invalid' });
    if (!body) errors.push({ field: 'body', rule: 'required' });
    else if (body.length > COMMENT_MAX) errors.push({ field: 'body', rule: 'too_long', params: { max: COMMENT_MAX } });
    if (errors.length > 0 || !target) throw new AppError('VALIDATION_FAILED', 'the comment cannot be added', { fields: errors });
    const now = ctx.now ?? new Date();
    const id = await insertComment(trx, { caseId, targetType: target.type, target: target.target, body, authorId: actor.id, createdAt: now });
    await recordAuditEvent(trx, { actor: userActor(actor), entityType: 'review_case', entityId: caseId, action: 'review_case.commented', after: { commentId: id, targetType: target.type, target: target.target, body }, requestId: ctx.requestId ?? null });
    return { id, targetType: target.type, target: target.target, body, authorName: actor.fullName, createdAt: now };
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

export type { DeadlineStatus };
