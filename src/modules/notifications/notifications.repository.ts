/**
 * The notifications module's SQL: mail_outbox is written here and nowhere else. Functions take
 * the database or a transaction; the one that locks a message takes a Transaction.
 */
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database, MailOutboxTable } from '../../db/database.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export type OutboxStatus = Selectable<MailOutboxTable>['status'];

export interface StoredMessage {
  id: string;
  recipient: string;
  template: string;
  subject: string;
  status: OutboxStatus;
  attempts: number;
  createdAt: Date;
  sentAt: Date | null;
  bodyText: string;
  bodyHtml: string;
  entity: { type: string; id: string } | null;
  lastError: string | null;
}

export type StoredMessageSummary = Omit<StoredMessage, 'bodyText' | 'bodyHtml' | 'entity' | 'lastError'>;

type OutboxRow = Selectable<MailOutboxTable>;

// database.ts declares created_at as Generated<Timestamp>, whose select type is the ColumnType
// itself rather than Date; pg returns a Date.
function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function toSummary(row: Pick<OutboxRow, 'id' | 'recipient' | 'template' | 'subject' | 'status' | 'attempts' | 'created_at' | 'sent_at'>): StoredMessageSummary {
  return {
    id: row.id,
    recipient: row.recipient,
    template: row.template,
    subject: row.subject,
    status: row.status,
    attempts: row.attempts,
    createdAt: asDate(row.created_at),
    sentAt: row.sent_at,
  };
}

function toMessage(row: OutboxRow): StoredMessage {
  return {
    ...toSummary(row),
    bodyText: row.body_text,
    bodyHtml: row.body_html,
    entity: row.entity_type && row.entity_id ? { type: row.entity_type, id: row.entity_id } : null,
    lastError: row.last_error,
  };
}

export async function insertMessage(
  trx: Transaction<Database>,
  message: { recipient: string; template: string; subject: string; bodyText: string; bodyHtml: string; entity: { type: string; id: string } | null },
): Promise<string> {
  const row = await trx
    .insertInto('mail_outbox')
    .values({
      recipient: message.recipient,
      template: message.template,
      subject: message.subject,
      body_text: message.bodyText,
      body_html: message.bodyHtml,
      entity_type: message.entity?.type ?? null,
      entity_id: message.entity?.id ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** Newest first; `before` (a known id) keeps only older messages; `limit` + 1 rows, so the caller sees whether more follow. */
export async function listMessages(db: Executor, filters: { status?: OutboxStatus | undefined; recipient?: string | undefined; before?: string | undefined; limit: number }): Promise<StoredMessageSummary[]> {
  let query = db
    .selectFrom('mail_outbox')
    .select(['id', 'recipient', 'template', 'subject', 'status', 'attempts', 'created_at', 'sent_at'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filters.limit + 1);
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.recipient) query = query.where(sql<boolean>`recipient ILIKE ${`%${escapeLike(filters.recipient)}%`}`);
  if (filters.before !== undefined) {
    // Compared in the database: created_at has microseconds that a JavaScript Date would lose.
    query = query.where(sql<boolean>`(created_at, id) < (SELECT created_at, id FROM mail_outbox WHERE id = ${filters.before}::uuid)`);
  }
  return (await query.execute()).map(toSummary);
}

export async function findMessage(db: Executor, id: string): Promise<StoredMessage | null> {
  const row = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toMessage(row) : null;
}

/** The message, locked for the transaction, unless another sender holds it. */
export async function lockMessage(trx: Transaction<Database>, id: string): Promise<StoredMessage | null> {
  const row = await trx.selectFrom('mail_outbox').selectAll().where('id', '=', id).forUpdate().skipLocked().executeTakeFirst();
  return row ? toMessage(row) : null;
}

export async function recordAttempt(trx: Transaction<Database>, id: string, attempt: { attempts: number; status: OutboxStatus; lastError?: string; sentAt?: Date }): Promise<void> {
  await trx
    .updateTable('mail_outbox')
    .set({ attempts: attempt.attempts, status: attempt.status, ...(attempt.lastError !== undefined ? { last_error: attempt.lastError } : {}), ...(attempt.sentAt ? { sent_at: attempt.sentAt } : {}) })
    .where('id', '=', id)
    .execute();
}

/** Up to `limit` pending messages, oldest first, after the one with id `after`. */
export async function pendingMessageIds(db: Executor, limit: number, after: string | null): Promise<string[]> {
  let query = db.selectFrom('mail_outbox').select('id').where('status', '=', 'pending').orderBy('created_at').orderBy('id').limit(limit);
  if (after !== null) query = query.where(sql<boolean>`(created_at, id) > (SELECT created_at, id FROM mail_outbox WHERE id = ${after}::uuid)`);
  return (await query.execute()).map((row) => row.id);
}
