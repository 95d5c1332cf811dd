import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database, MailOutboxTable } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError } from '../../errors.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import { type MailTemplateName, type MailTemplateParams, renderMail } from './mail-templates.ts';

export const OUTBOX_STATUSES = ['pending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export interface MailMessage<N extends MailTemplateName> {
  to: string;
  template: N;
  params: MailTemplateParams<N>;
  /** The record the message is about, so it can be found from either side. */
  entity?: { type: string; id: string };
}

export interface OutboxMessageSummary {
  id: string;
  recipient: string;
  template: string;
  subject: string;
  status: OutboxStatus;
  attempts: number;
  createdAt: Date;
  sentAt: Date | null;
}

export interface OutboxMessage extends OutboxMessageSummary {
  bodyText: string;
  bodyHtml: string;
  entity: { type: string; id: string } | null;
  lastError: string | null;
}

export interface OutboxPage {
  messages: OutboxMessageSummary[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextBefore: string | null;
}

export interface OutboxFilters {
  status?: OutboxStatus | undefined;
  /** Any part of the address, case-insensitive. */
  recipient?: string | undefined;
  limit: number;
  /** Id of the last message of the previous page: only older ones follow. */
  before?: string | undefined;
}

// One address, nothing that could add a header or a second recipient.
const SINGLE_ADDRESS = /^[^\s@<>,;"()\\]+@[^\s@<>,;"()\\]+\.[^\s@<>,;"()\\]+$/;
const MAX_PAGE = 200;

/**
 * Writes a message to the outbox inside the caller's transaction: it exists exactly when the
 * change that caused it was committed. It is rendered now, so what is sent is what the change
 * said at the time, however templates or data change later. The mail worker sends it.
 */
export async function enqueueMail<N extends MailTemplateName>(trx: Transaction<Database>, message: MailMessage<N>): Promise<string> {
  const recipient = message.to.trim();
  if (!SINGLE_ADDRESS.test(recipient)) throw new Error('enqueueMail: the recipient must be a single e-mail address');
  const rendered = renderMail(message.template, message.params);
  const row = await trx
    .insertInto('mail_outbox')
    .values({
      recipient,
      template: message.template,
      subject: rendered.subject,
      body_text: rendered.text,
      body_html: rendered.html,
      entity_type: message.entity?.type ?? null,
      entity_id: message.entity?.id ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

type OutboxRow = Selectable<MailOutboxTable>;

// database.ts declares created_at as Generated<Timestamp>, whose select type is the ColumnType
// itself rather than Date; pg returns a Date.
function asDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function toSummary(row: Pick<OutboxRow, 'id' | 'recipient' | 'template' | 'subject' | 'status' | 'attempts' | 'created_at' | 'sent_at'>): OutboxMessageSummary {
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

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** The outbox, newest first, for administrators (the demo's mailbox when no SMTP server is set). */
export async function listOutbox(db: Kysely<Database>, actor: AuthUser | null, filters: OutboxFilters): Promise<OutboxPage> {
  requirePermission(actor, 'outbox.read');
  const limit = Math.min(Math.max(Math.trunc(filters.limit), 1), MAX_PAGE);
  let query = db
    .selectFrom('mail_outbox')
    .select(['id', 'recipient', 'template', 'subject', 'status', 'attempts', 'created_at', 'sent_at'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (filters.status) query = query.where('status', '=', filters.status);
  const recipient = filters.recipient?.trim();
  if (recipient) query = query.where(sql<boolean>`recipient ILIKE ${`%${escapeLike(recipient)}%`}`);
  if (filters.before !== undefined) {
    // An unknown cursor is an empty page, not the first one again.
    if (!UUID.test(filters.before)) return { messages: [], nextBefore: null };
    // Compared in the database: created_at has microseconds that a JavaScript Date would lose.
    query = query.where(
      sql<boolean>`(created_at, id) < (SELECT created_at, id FROM mail_outbox WHERE id = ${filters.before}::uuid)`,
    );
  }
  const rows = await query.execute();
  const page = rows.slice(0, limit).map(toSummary);
  return { messages: page, nextBefore: rows.length > limit ? page[page.length - 1]!.id : null };
}

export async function getOutboxMessage(db: Kysely<Database>, actor: AuthUser | null, id: string): Promise<OutboxMessage> {
  requirePermission(actor, 'outbox.read');
  if (!UUID.test(id)) throw new AppError('NOT_FOUND');
  const row = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  return {
    ...toSummary(row),
    bodyText: row.body_text,
    bodyHtml: row.body_html,
    entity: row.entity_type && row.entity_id ? { type: row.entity_type, id: row.entity_id } : null,
    lastError: row.last_error,
  };
}
