/**
 * All SQL on `account_requests` and `account_request_people`, the only writer of both tables.
 * Reads join `users` for the name of whoever decided.
 */
import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { AccountRequestPeopleTable, AccountRequestsTable, Database } from '../../db/database.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export type RequestRow = Selectable<AccountRequestsTable>;
export type PersonRow = Selectable<AccountRequestPeopleTable>;
export type NewRequest = Omit<Insertable<AccountRequestsTable>, 'number'>;
export type NewPerson = Omit<Insertable<AccountRequestPeopleTable>, 'request_id' | 'position_no'>;
export type PersonWithDecider = PersonRow & { decider_surname: string | null; decider_given_name: string | null; decider_patronymic: string | null };

export const PENDING_EMAIL_INDEX = 'account_request_people_pending_email';

/** The e-mails among `emails` of people in a request still waiting for a decision. */
export async function pendingPersonEmails(db: Executor, emails: string[]): Promise<string[]> {
  if (emails.length === 0) return [];
  const rows = await db.selectFrom('account_request_people').select('email').where('email', 'in', emails).where('decision', '=', 'pending').execute();
  return rows.map((row) => row.email);
}

export async function nextRequestSequence(trx: Transaction<Database>): Promise<string> {
  const { rows } = await sql<{ value: string }>`SELECT nextval('account_request_number_seq')::text AS value`.execute(trx);
  return rows[0]!.value;
}

export async function insertRequest(trx: Transaction<Database>, number: string, values: NewRequest): Promise<string> {
  const row = await trx.insertInto('account_requests').values({ ...values, number }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function insertPerson(trx: Transaction<Database>, requestId: string, positionNo: number, values: NewPerson): Promise<string> {
  const row = await trx.insertInto('account_request_people').values({ ...values, request_id: requestId, position_no: positionNo }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export function findRequest(db: Executor, id: string): Promise<RequestRow | undefined> {
  return db.selectFrom('account_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findRequestByNumber(db: Executor, number: string): Promise<Pick<RequestRow, 'id' | 'number' | 'organization_name' | 'received_at' | 'due_at' | 'contact_email'> | undefined> {
  return db
    .selectFrom('account_requests')
    .select(['id', 'number', 'organization_name', 'received_at', 'due_at', 'contact_email'])
    .where('number', '=', number)
    .executeTakeFirst();
}

export function peopleOfRequest(db: Executor, requestId: string): Promise<PersonWithDecider[]> {
  return db
    .selectFrom('account_request_people as p')
    .leftJoin('users as d', 'd.id', 'p.decided_by')
    .selectAll('p')
    .select(['d.surname as decider_surname', 'd.given_name as decider_given_name', 'd.patronymic as decider_patronymic'])
    .where('p.request_id', '=', requestId)
    .orderBy('p.position_no')
    .execute();
}

export interface QueueQuery {
  status: 'open' | 'closed' | 'all';
  overdue: boolean;
  sort: 'due_asc' | 'due_desc' | 'received_desc' | 'received_asc';
  page: number;
  pageSize: number;
  now: Date;
}

export interface QueueRow {
  id: string;
  number: string;
  organization_name: string;
  organization_bin: string;
  received_at: Date;
  due_at: Date;
  status: 'open' | 'closed';
  closed_at: Date | null;
  people_total: number;
  people_pending: number;
  people_approved: number;
  people_rejected: number;
}

/** One page of the queue with the people's decisions counted; `page` is clamped to the pages there are. */
export async function queuePage(db: Executor, filters: QueueQuery): Promise<{ rows: QueueRow[]; total: number; page: number; pageCount: number }> {
  const { now } = filters;
  let query = db.selectFrom('account_requests as r');
  if (filters.status !== 'all') query = query.where('r.status', '=', filters.status);
  if (filters.overdue) {
    // The deadline is missed: still open after it, or closed after it.
    query = query.where((eb) =>
      eb.or([
        eb.and([eb('r.status', '=', 'open'), eb('r.due_at', '<', now)]),
        eb.and([eb('r.status', '=', 'closed'), eb('r.closed_at', '>', eb.ref('r.due_at'))]),
      ]),
    );
  }
  const { count } = await query.select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
  const total = Number(count);
  const pageCount = Math.max(1, Math.ceil(total / filters.pageSize));
  const page = Math.min(filters.page, pageCount);

  const [column, direction] = filters.sort === 'due_asc' ? (['r.due_at', 'asc'] as const)
    : filters.sort === 'due_desc' ? (['r.due_at', 'desc'] as const)
    : filters.sort === 'received_asc' ? (['r.received_at', 'asc'] as const)
    : (['r.received_at', 'desc'] as const);

  const rows = await query
    .leftJoin('account_request_people as p', 'p.request_id', 'r.id')
    .groupBy('r.id')
    .select([
      'r.id',
      'r.number',
      'r.organization_name',
      'r.organization_bin',
      'r.received_at',
      'r.due_at',
      'r.status',
      'r.closed_at',
      sql<number>`count(p.id)::int`.as('people_total'),
      sql<number>`(count(p.id) FILTER (WHERE p.decision = 'pending'))::int`.as('people_pending'),
      sql<number>`(count(p.id) FILTER (WHERE p.decision = 'approved'))::int`.as('people_approved'),
      sql<number>`(count(p.id) FILTER (WHERE p.decision = 'rejected'))::int`.as('people_rejected'),
    ])
    .orderBy(column, direction)
    .orderBy('r.number', direction)
    .limit(filters.pageSize)
    .offset((page - 1) * filters.pageSize)
    .execute();
  return { rows, total, page, pageCount };
}

/** The request a person belongs to, or undefined when there is no such person. */
export async function requestIdOfPerson(db: Executor, personId: string): Promise<string | undefined> {
  const row = await db.selectFrom('account_request_people').select('request_id').where('id', '=', personId).executeTakeFirst();
  return row?.request_id;
}

export function lockRequest(trx: Transaction<Database>, id: string): Promise<RequestRow> {
  return trx.selectFrom('account_requests').selectAll().where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
}

export function lockPerson(trx: Transaction<Database>, id: string): Promise<PersonRow> {
  return trx.selectFrom('account_request_people').selectAll().where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
}

export async function setRequestOrganization(trx: Transaction<Database>, requestId: string, organizationId: string): Promise<void> {
  await trx.updateTable('account_requests').set({ organization_id: organizationId }).where('id', '=', requestId).execute();
}

export async function recordPersonDecision(
  trx: Transaction<Database>,
  personId: string,
  decision: { decision: 'approved'; userId: string; decidedBy: string; decidedAt: Date } | { decision: 'rejected'; reason: string; decidedBy: string; decidedAt: Date },
): Promise<void> {
  const common = { decision: decision.decision, decided_by: decision.decidedBy, decided_at: decision.decidedAt };
  await trx
    .updateTable('account_request_people')
    .set(decision.decision === 'approved' ? { ...common, user_id: decision.userId } : { ...common, rejection_reason: decision.reason })
    .where('id', '=', personId)
    .execute();
}

export function decisionCounts(trx: Transaction<Database>, requestId: string): Promise<{ pending: number; approved: number; rejected: number }> {
  return trx
    .selectFrom('account_request_people')
    .select([
      sql<number>`(count(*) FILTER (WHERE decision = 'pending'))::int`.as('pending'),
      sql<number>`(count(*) FILTER (WHERE decision = 'approved'))::int`.as('approved'),
      sql<number>`(count(*) FILTER (WHERE decision = 'rejected'))::int`.as('rejected'),
    ])
    .where('request_id', '=', requestId)
    .executeTakeFirstOrThrow();
}

export async function closeRequest(trx: Transaction<Database>, requestId: string, closedAt: Date): Promise<void> {
  await trx.updateTable('account_requests').set({ status: 'closed', closed_at: closedAt }).where('id', '=', requestId).execute();
}
