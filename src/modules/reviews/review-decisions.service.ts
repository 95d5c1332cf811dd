/**
 * The reviewer's decision on a case (003 §8): return it for completion (the clock stops; a
 * resubmission opens a new case) or approve it. The first approval assigns the account code
 * (003 §4.5), kept for the object's life; every approval issues an extract (002) with a unique,
 * unguessable number, verifiable by anyone with the number and the owner's BIN.
 *
 * The decision, its audit events, its e-mail (the outbox row) and, for an approval, the extract's
 * record and the job that renders its PDF are one transaction: nothing is written to the store
 * inside it, so a rolled-back approval leaves no file behind, and nothing is left to do "after
 * commit" that a crash could lose (issued-documents.service.ts renders the PDF from the job).
 */
import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import pLimit from 'p-limit';
import { type AuthUser, personName, requirePermission } from '../../access/permissions.ts';
import type { Database } from '../../db/database.ts';
import { AppError, type FieldError } from '../../errors.ts';
import type { JobSender } from '../../jobs/job-queue.ts';
import { recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { enqueueMail } from '../notifications/outbox.service.ts';
import { findObjectRow, recordObjectApproval, setReviewStatus } from '../objects/objects.repository.ts';
import { formatAccountCode } from './account-code.ts';
import { queueExtractRender } from './issued-documents.service.ts';
import { caseComments, documentNumberTaken, insertIssuedDocument, type IssuedDocumentView, nextAccountCodeSequence, personById, recordCaseDecision } from './reviews.repository.ts';
import { lockOpenCase, NOTE_MAX, type ServiceContext } from './reviews.service.ts';

export interface ReviewDeps {
  db: Kysely<Database>;
  /** Queues the extract's rendering in the approval's transaction. */
  jobs: JobSender;
  /** Public address, for the link in the certificate's QR code and in e-mails. */
  baseUrl: string;
  accountCodePrefix: string;
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
 * from taking the next code until it commits, so approvals run one after another in the database
 * whatever happens here. Waiting for that row, each held a pooled connection: ten approvals at
 * once took every connection of the pool, every other request of the portal waited behind them,
 * and approvals past the tenth failed after the pool's 10 s ("50 cases in parallel" in
 * tests/integration/reviews.test.ts did, on a slow moment of the 2-core machine). Queued here,
 * they wait without a connection. Several processes are still kept apart by the counter row itself.
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
  const now = ctx.now ?? new Date();
  return deps.db.transaction().execute(async (trx): Promise<DecisionResult> => {
    const locked = await lockOpenCase(trx, caseId);
    const object = (await findObjectRow(trx, locked.objectId, { lock: true }))!;
    const snapshot = locked.snapshot;
    const submitter = await personById(trx, locked.submittedBy);
    const submitterName = personName(submitter) ?? submitter.email;
    const link = `${deps.baseUrl}/objects/${locked.objectId}#review`;
    const objectName = { kk: snapshot.passport.name.full.kk, ru: snapshot.passport.name.full.ru };

    if (input.decision === 'return') {
      const comments = await caseComments(trx, caseId);
      if (comments.length === 0 && !note) throw new AppError('VALIDATION_FAILED', 'say what to complete or change', { fields: [{ field: 'note', rule: 'required_for_return' }] });
      await recordCaseDecision(trx, caseId, { status: 'returned', at: now, by: actor.id, note: note || null });
      await setReviewStatus(trx, locked.objectId, 'returned');
      await recordAuditEvent(trx, {
        actor: userActor(actor),
        entityType: 'review_case',
        entityId: caseId,
        action: 'review_case.returned',
        before: { status: 'open' },
        after: { status: 'returned', note: note || null, comments: comments.length, onTime: now <= locked.dueAt },
        requestId: ctx.requestId ?? null,
      });
      await enqueueMail(trx, {
        to: submitter.email,
        template: 'review_returned',
        params: { fullName: submitterName, caseNumber: locked.number, objectName: objectName.ru, objectNameKk: objectName.kk, comments: comments.length, note, link },
        entity: { type: 'review_case', id: caseId },
      });
      return { caseId, status: 'returned', accountCode: object.account_code, issuedDocument: null };
    }

    // Approve: the account code once for the object's life (003 §4.5), then the extract (002).
    const year = Number(toAlmatyDate(now).slice(0, 4));
    const accountCode = object.account_code ?? formatAccountCode({ prefix: deps.accountCodePrefix, year, sequence: await nextAccountCodeSequence(trx, year) });
    const issuedOn = toAlmatyDate(now);
    const number = await uniqueDocumentNumber(trx, year);
    const ownerName = { kk: snapshot.organization.nameKk, ru: snapshot.organization.nameRu };
    const ownerBin = snapshot.organization.bin;
    const verificationUrl = `${deps.baseUrl}/verify?number=${encodeURIComponent(number)}&bin=${encodeURIComponent(ownerBin)}`;

    await recordCaseDecision(trx, caseId, { status: 'approved', at: now, by: actor.id, note: note || null });
    await recordObjectApproval(trx, locked.objectId, { accountCode, caseId });
    const issuedId = await insertIssuedDocument(trx, {
      number,
      objectId: locked.objectId,
      caseId,
      accountCode,
      ownerBin,
      issuedOn,
      issuedAt: now,
      approvedBy: actor.id,
      details: { objectName, ownerName, approvedByName: actor.fullName, objectVersion: locked.objectVersion, verificationUrl },
    });
    await queueExtractRender(deps.jobs, trx, issuedId);
    await recordAuditEvent(trx, {
      actor: userActor(actor),
      entityType: 'review_case',
      entityId: caseId,
      action: 'review_case.approved',
      before: { status: 'open', accountCode: object.account_code },
      after: { status: 'approved', accountCode, objectVersion: locked.objectVersion, issuedDocument: number, onTime: now <= locked.dueAt },
      requestId: ctx.requestId ?? null,
    });
    if (!object.account_code) {
      await recordAuditEvent(trx, { actor: userActor(actor), entityType: 'object', entityId: locked.objectId, action: 'object.account_code_assigned', before: { accountCode: null }, after: { accountCode }, requestId: ctx.requestId ?? null });
    }
    await enqueueMail(trx, {
      to: submitter.email,
      template: 'review_approved',
      params: { fullName: submitterName, caseNumber: locked.number, objectName: objectName.ru, objectNameKk: objectName.kk, accountCode, documentNumber: number, link },
      entity: { type: 'review_case', id: caseId },
    });
    return {
      caseId,
      status: 'approved',
      accountCode,
      issuedDocument: { id: issuedId, number, issuedOn, accountCode, ownerBin, approvedByName: actor.fullName, objectName, ownerName, extractReady: false },
    };
  });
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
    if (!(await documentNumberTaken(trx, number))) return number;
  }
}
