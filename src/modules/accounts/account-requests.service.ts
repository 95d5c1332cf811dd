/**
 * Workflow A — account requests (003 §6, Annex 2; domain.md "Workflow A").
 *
 * Anyone may submit a request for one organization and one or more people; the service
 * integrator decides on each person within 2 working days of receipt. Approving a person creates
 * the organization (the first time its BIN is seen) and a staff account waiting for activation,
 * and e-mails a single-use activation link; rejecting e-mails the reason. The request closes when
 * every person is decided, and then says whether the deadline was met.
 *
 * Each use case writes its change, its audit events and its outgoing mail in one transaction.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Language } from '../../config.ts';
import type { Database, OrganizationKind } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { type Actor, recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { requirePermission, type AuthUser, personName } from '../../access/permissions.ts';
import { issueAuthToken, TOKEN_LIFETIME_MS } from '../auth/auth.repository.ts';
import { loadCalendarData } from '../calendar/calendar.service.ts';
import { type CalendarData, deadlineStatus, dueAt, toAlmatyDate } from '../calendar/working-days.ts';
import { enqueueMail } from '../notifications/outbox.service.ts';
import { findOrganizationWithBin } from '../organizations/organizations.repository.ts';
import { ensureOrganization } from '../organizations/organizations.service.ts';
import { emailsOfUndeactivatedUsers } from '../users/users.repository.ts';
import { openStaffAccount } from '../users/users.service.ts';
import {
  closeRequest,
  decisionCounts,
  findRequest,
  findRequestByNumber,
  insertPerson,
  insertRequest,
  lockPerson,
  lockRequest,
  nextRequestSequence,
  peopleOfRequest,
  PENDING_EMAIL_INDEX,
  pendingPersonEmails,
  type PersonRow,
  queuePage,
  recordPersonDecision,
  type RequestRow,
  requestIdOfPerson,
  setRequestOrganization,
} from './accounts.repository.ts';
import {
  type AccountRequestInput,
  type Decision,
  orderLikeForm,
  personFieldName,
  type QueueFilters,
} from './account-requests.schemas.ts';

/** 003 §6: the account is provided within two working days of receipt. */
export const ACCOUNT_REQUEST_WORKING_DAYS = 2;
export const QUEUE_PAGE_SIZE = 50;

// ---------------------------------------------------------------------------------------------
// Domain objects

/** Where a request stands against its deadline. */
export type DeadlineView =
  | { state: 'open'; overdue: boolean; dueToday: boolean; workingDaysLeft: number; workingDaysOverdue: number }
  | { state: 'closed'; met: boolean };

export interface AccountRequestSummary {
  id: string;
  number: string;
  organizationName: string;
  organizationBin: string;
  receivedAt: Date;
  dueAt: Date;
  status: 'open' | 'closed';
  closedAt: Date | null;
  people: { total: number; pending: number; approved: number; rejected: number };
  deadline: DeadlineView;
}

export interface AccountRequestPerson {
  id: string;
  positionNo: number;
  division: string;
  surname: string;
  givenName: string;
  patronymic: string | null;
  fullName: string;
  position: string;
  iin: string;
  phone: string;
  email: string;
  purpose: string;
  decision: 'pending' | 'approved' | 'rejected';
  rejectionReason: string | null;
  decidedAt: Date | null;
  decidedByName: string | null;
  userId: string | null;
}

export interface AccountRequestDetail extends AccountRequestSummary {
  organizationKind: OrganizationKind;
  organizationId: string | null;
  /** The registered organization with the request's BIN, if there is one already. */
  existingOrganization: { id: string; nameKk: string; nameRu: string; kind: OrganizationKind } | null;
  contact: { name: string; email: string; phone: string };
  language: Language;
  personList: AccountRequestPerson[];
}

export interface SubmittedAccountRequest {
  id: string;
  number: string;
  receivedAt: Date;
  dueAt: Date;
}

export interface SubmitContext {
  /** The language the form was filled in; the e-mails about the request use it. */
  language: Language;
  /** Who submitted: usually nobody signed in. */
  user?: AuthUser | null;
  requestId?: string;
  /** The moment of receipt; the clock by default (tests set it to prove the calendar is used). */
  now?: Date;
}

export interface DecisionInput {
  personId: string;
  /** The request the person is expected to belong to (from the page's address), if known. */
  accountRequestId?: string;
  decision: Decision;
  reason?: string | null;
}

export interface DecisionContext {
  /** The portal's public address, for the activation link. */
  baseUrl: string;
  requestId?: string;
}

export interface DecisionResult {
  accountRequestId: string;
  decision: 'approved' | 'rejected';
  /** The decision was the last one and closed the request. */
  closed: boolean;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function fullName(surname: string, givenName: string, patronymic: string | null): string {
  return personName({ surname, given_name: givenName, patronymic }) ?? '';
}

/** AR-2026-000042: the year of receipt (Asia/Almaty) and the sequence number. */
export function formatRequestNumber(receivedAt: Date, sequence: bigint | number | string): string {
  return `AR-${toAlmatyDate(receivedAt).slice(0, 4)}-${String(sequence).padStart(6, '0')}`;
}

function deadlineView(row: { status: 'open' | 'closed'; due_at: Date; closed_at: Date | null }, now: Date, calendar: CalendarData): DeadlineView {
  if (row.status === 'closed') return { state: 'closed', met: row.closed_at !== null && row.closed_at.getTime() <= row.due_at.getTime() };
  return { state: 'open', ...deadlineStatus(now, row.due_at, calendar) };
}

function validationFailed(errors: FieldError[]): AppError {
  return new AppError('VALIDATION_FAILED', 'account request rejected', { fields: orderLikeForm(errors) });
}

/**
 * E-mails (normalized) that cannot be requested: the login of an account that is not
 * deactivated, or of a person in a request still waiting for a decision.
 */
async function emailsInUse(db: Kysely<Database> | Transaction<Database>, emails: string[]): Promise<Set<string>> {
  return new Set([...(await emailsOfUndeactivatedUsers(db, emails)), ...(await pendingPersonEmails(db, emails))]);
}

// ---------------------------------------------------------------------------------------------
// Submitting

/**
 * Records a request from the public form (already checked by parseAccountRequest). Refuses with
 * VALIDATION_FAILED (field errors) an e-mail already in use; then, in one transaction: the
 * request and its people, an audit event, and a confirmation e-mail to each person and the contact.
 */
export async function submitAccountRequest(db: Kysely<Database>, input: AccountRequestInput, ctx: SubmitContext): Promise<SubmittedAccountRequest> {
  const taken = await emailsInUse(
    db,
    input.people.map((person) => person.email),
  );
  const takenErrors = input.people.flatMap((person, index): FieldError[] =>
    taken.has(person.email) ? [{ field: personFieldName(index, 'email'), rule: 'email_taken' }] : [],
  );
  if (takenErrors.length > 0) throw validationFailed(takenErrors);

  const receivedAt = ctx.now ?? new Date();
  const due = dueAt(receivedAt, ACCOUNT_REQUEST_WORKING_DAYS, await loadCalendarData(db));
  const actor: Actor = ctx.user ? userActor(ctx.user) : { kind: 'system', label: 'anonymous' };

  return db.transaction().execute(async (trx) => {
    const number = formatRequestNumber(receivedAt, await nextRequestSequence(trx));
    const request = {
      id: await insertRequest(trx, number, {
        organization_name: input.organization_name,
        organization_bin: input.organization_bin,
        organization_kind: input.organization_kind,
        organization_id: null,
        contact_name: input.contact_name,
        contact_email: input.contact_email,
        contact_phone: input.contact_phone,
        language: ctx.language,
        received_at: receivedAt,
        due_at: due,
        closed_at: null,
      }),
    };

    const people: Array<{ id: string; email: string; fullName: string }> = [];
    for (const [index, person] of input.people.entries()) {
      try {
        const id = await insertPerson(trx, request.id, index + 1, {
            division: person.division,
            surname: person.surname,
            given_name: person.given_name,
            patronymic: person.patronymic,
            position: person.position,
            iin: person.iin,
            phone: person.phone,
            email: person.email,
            purpose: person.purpose,
            rejection_reason: null,
            decided_by: null,
            decided_at: null,
            user_id: null,
        });
        people.push({ id, email: person.email, fullName: fullName(person.surname, person.given_name, person.patronymic) });
      } catch (error) {
        // Another request for the same e-mail was committed after the check above.
        if (isUniqueViolation(error, PENDING_EMAIL_INDEX)) throw validationFailed([{ field: personFieldName(index, 'email'), rule: 'email_taken' }]);
        throw error;
      }
    }

    await recordAuditEvent(trx, {
      actor,
      entityType: 'account_request',
      entityId: request.id,
      action: 'account_request.submitted',
      // The IIN stays in the request row only: the audit log is permanent and needs no copy of it.
      after: {
        number,
        receivedAt,
        dueAt: due,
        language: ctx.language,
        organization: { name: input.organization_name, bin: input.organization_bin, kind: input.organization_kind },
        contact: { name: input.contact_name, email: input.contact_email, phone: input.contact_phone },
        people: input.people.map((person, index) => ({
          id: people[index]!.id,
          division: person.division,
          surname: person.surname,
          givenName: person.given_name,
          patronymic: person.patronymic,
          position: person.position,
          phone: person.phone,
          email: person.email,
          purpose: person.purpose,
        })),
      },
      requestId: ctx.requestId,
    });

    const recipients = new Map<string, string>();
    for (const person of people) recipients.set(person.email, person.fullName);
    if (!recipients.has(input.contact_email)) recipients.set(input.contact_email, input.contact_name);
    for (const [to, name] of recipients) {
      await enqueueMail(trx, {
        to,
        template: 'account_request_received',
        params: { fullName: name, requestNumber: number, organizationName: input.organization_name, dueAt: due },
        entity: { type: 'account_request', id: request.id },
      });
    }
    return { id: request.id, number, receivedAt, dueAt: due };
  });
}

/** The confirmation shown to whoever submitted a request (the page checks that it was them). */
export async function findSubmittedAccountRequest(
  db: Kysely<Database>,
  number: string,
): Promise<{ number: string; organizationName: string; receivedAt: Date; dueAt: Date; contactEmail: string; people: Array<{ fullName: string; email: string }> } | null> {
  const request = await findRequestByNumber(db, number);
  if (!request) return null;
  const people = await peopleOfRequest(db, request.id);
  return {
    number: request.number,
    organizationName: request.organization_name,
    receivedAt: request.received_at,
    dueAt: request.due_at,
    contactEmail: request.contact_email,
    people: people.map((p) => ({ fullName: fullName(p.surname, p.given_name, p.patronymic), email: p.email })),
  };
}

// ---------------------------------------------------------------------------------------------
// The reviewers' queue

/** The queue: requests with their people's decisions counted and their place against the deadline. */
export async function listAccountRequests(
  db: Kysely<Database>,
  actor: AuthUser | null | undefined,
  filters: QueueFilters & { now?: Date },
): Promise<{ items: AccountRequestSummary[]; total: number; page: number; pageCount: number }> {
  requirePermission(actor, 'account_requests.review');
  const now = filters.now ?? new Date();

  const { rows, total, page, pageCount } = await queuePage(db, { ...filters, pageSize: QUEUE_PAGE_SIZE, now });

  const calendar = await loadCalendarData(db);
  const items = rows.map(
    (row): AccountRequestSummary => ({
      id: row.id,
      number: row.number,
      organizationName: row.organization_name,
      organizationBin: row.organization_bin,
      receivedAt: row.received_at,
      dueAt: row.due_at,
      status: row.status,
      closedAt: row.closed_at,
      people: { total: row.people_total, pending: row.people_pending, approved: row.people_approved, rejected: row.people_rejected },
      deadline: deadlineView(row, now, calendar),
    }),
  );
  return { items, total, page, pageCount };
}

/** One request with its people, for a reviewer. NOT_FOUND when there is no such request. */
export async function getAccountRequest(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string, options: { now?: Date } = {}): Promise<AccountRequestDetail> {
  requirePermission(actor, 'account_requests.review');
  const row = await findRequest(db, id);
  if (!row) throw new AppError('NOT_FOUND');
  const people = await peopleOfRequest(db, id);
  const organization = await findOrganizationWithBin(db, row.organization_bin);
  const calendar = await loadCalendarData(db);
  const count = (decision: AccountRequestPerson['decision']) => people.filter((p) => p.decision === decision).length;

  return {
    id: row.id,
    number: row.number,
    organizationName: row.organization_name,
    organizationBin: row.organization_bin,
    organizationKind: row.organization_kind,
    organizationId: row.organization_id,
    existingOrganization: organization ? { id: organization.id, nameKk: organization.nameKk, nameRu: organization.nameRu, kind: organization.kind } : null,
    contact: { name: row.contact_name, email: row.contact_email, phone: row.contact_phone },
    language: row.language,
    receivedAt: row.received_at,
    dueAt: row.due_at,
    status: row.status,
    closedAt: row.closed_at,
    people: { total: people.length, pending: count('pending'), approved: count('approved'), rejected: count('rejected') },
    deadline: deadlineView(row, options.now ?? new Date(), calendar),
    personList: people.map((p) => ({
      id: p.id,
      positionNo: p.position_no,
      division: p.division,
      surname: p.surname,
      givenName: p.given_name,
      patronymic: p.patronymic,
      fullName: fullName(p.surname, p.given_name, p.patronymic),
      position: p.position,
      iin: p.iin,
      phone: p.phone,
      email: p.email,
      purpose: p.purpose,
      decision: p.decision,
      rejectionReason: p.rejection_reason,
      decidedAt: p.decided_at,
      decidedByName: p.decider_surname ? fullName(p.decider_surname, p.decider_given_name ?? '', p.decider_patronymic) : null,
      userId: p.user_id,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Deciding

export const REJECTION_REASON_MAX = 2000;

/** The organization with the request's BIN, registered now if it is new (once, even under concurrent approvals). */
async function organizationFor(trx: Transaction<Database>, request: RequestRow, actor: AuthUser, requestId: string | undefined): Promise<string> {
  const values = {
    bin: request.organization_bin,
    kind: request.organization_kind,
    // The request gives one name, in the language it was written; administrators complete the other.
    name_kk: request.organization_name,
    name_ru: request.organization_name,
    name_en: null,
  };
  const { id } = await ensureOrganization(trx, values, {
    actor: userActor(actor),
    after: (organization) => ({ bin: organization.bin, kind: organization.kind, nameKk: organization.nameKk, nameRu: organization.nameRu, fromAccountRequest: request.number }),
    requestId,
  });
  return id;
}

/**
 * The staff account for an approved person, waiting for activation (an account in use is a
 * conflict the reviewer resolves by rejecting).
 */
function accountFor(trx: Transaction<Database>, person: PersonRow, request: RequestRow, organizationId: string, actor: AuthUser, requestId: string | undefined): Promise<string> {
  return openStaffAccount(
    trx,
    {
      email: person.email,
      surname: person.surname,
      given_name: person.given_name,
      patronymic: person.patronymic,
      position: person.position,
      phone: person.phone,
      iin: person.iin,
      organizationId,
      language: request.language,
      fromAccountRequest: request.number,
    },
    actor,
    requestId,
  );
}

/**
 * Approves or rejects one person of a request. The person's state is re-checked under a row lock:
 * a second decision on the same person is a CONFLICT (details.reason "already_decided"), as is
 * approving an e-mail that meanwhile got an account ("email_in_use"). Rejection needs a reason
 * (VALIDATION_FAILED on field "reason"). The last decision closes the request.
 */
export async function decideAccountRequestPerson(db: Kysely<Database>, actor: AuthUser | null | undefined, input: DecisionInput, ctx: DecisionContext): Promise<DecisionResult> {
  requirePermission(actor, 'account_requests.review');
  const reason = input.reason?.trim() ?? '';
  if (input.decision === 'reject') {
    if (reason === '') throw new AppError('VALIDATION_FAILED', 'a rejection needs a reason', { fields: [{ field: 'reason', rule: 'required' }] });
    if (reason.length > REJECTION_REASON_MAX) {
      throw new AppError('VALIDATION_FAILED', 'reason too long', { fields: [{ field: 'reason', rule: 'too_long', params: { max: REJECTION_REASON_MAX } }] });
    }
  }
  const located = await requestIdOfPerson(db, input.personId);
  if (!located || (input.accountRequestId !== undefined && located !== input.accountRequestId)) throw new AppError('NOT_FOUND');

  return db.transaction().execute(async (trx) => {
    // Request first, then person: every decision takes the locks in this order.
    const request = await lockRequest(trx, located);
    const person = await lockPerson(trx, input.personId);
    if (person.decision !== 'pending' || request.status !== 'open') {
      throw new AppError('CONFLICT', 'the person was already decided', { reason: 'already_decided' });
    }
    const now = new Date();
    const personName = fullName(person.surname, person.given_name, person.patronymic);
    let decision: DecisionResult['decision'];
    const auditDecision = (action: string, details: Record<string, unknown>) =>
      recordAuditEvent(trx, {
        actor: userActor(actor),
        entityType: 'account_request',
        entityId: request.id,
        action,
        before: { personId: person.id, decision: 'pending' },
        after: { personId: person.id, decision, email: person.email, ...details },
        requestId: ctx.requestId,
      });

    if (input.decision === 'approve') {
      decision = 'approved';
      const organizationId = await organizationFor(trx, request, actor, ctx.requestId);
      if (request.organization_id === null) {
        await setRequestOrganization(trx, request.id, organizationId);
      }
      const userId = await accountFor(trx, person, request, organizationId, actor, ctx.requestId);
      await recordPersonDecision(trx, person.id, { decision, userId, decidedBy: actor.id, decidedAt: now });
      await auditDecision('account_request.person_approved', { userId, organizationId });
      const token = await issueAuthToken(trx, userId, 'activation', now);
      await enqueueMail(trx, {
        to: person.email,
        template: 'account_request_approved',
        params: {
          fullName: personName,
          requestNumber: request.number,
          link: `${ctx.baseUrl}/activate/${token}`,
          expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS.activation),
        },
        entity: { type: 'account_request', id: request.id },
      });
    } else {
      decision = 'rejected';
      await recordPersonDecision(trx, person.id, { decision, reason, decidedBy: actor.id, decidedAt: now });
      await auditDecision('account_request.person_rejected', { reason });
      await enqueueMail(trx, {
        to: person.email,
        template: 'account_request_rejected',
        params: { fullName: personName, requestNumber: request.number, reason },
        entity: { type: 'account_request', id: request.id },
      });
    }

    const counts = await decisionCounts(trx, request.id);
    const closed = counts.pending === 0;
    if (closed) {
      await closeRequest(trx, request.id, now);
      await recordAuditEvent(trx, {
        actor: userActor(actor),
        entityType: 'account_request',
        entityId: request.id,
        action: 'account_request.closed',
        before: { status: 'open' },
        after: { status: 'closed', closedAt: now, dueAt: request.due_at, deadlineMet: now.getTime() <= request.due_at.getTime(), approved: counts.approved, rejected: counts.rejected },
        requestId: ctx.requestId,
      });
    }
    return { accountRequestId: request.id, decision, closed };
  });
}
