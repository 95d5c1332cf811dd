import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError } from '../../errors.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import { type MailTemplateName, type MailTemplateParams, renderMail } from './mail-templates.ts';
import { findMessage, insertMessage, listMessages, type StoredMessage, type StoredMessageSummary } from './notifications.repository.ts';

export const OUTBOX_STATUSES = ['pending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export interface MailMessage<N extends MailTemplateName> {
  to: string;
  template: N;
  params: MailTemplateParams<N>;
  /** The record the message is about, so it can be found from either side. */
  entity?: { type: string; id: string };
}

export type OutboxMessageSummary = StoredMessageSummary;
export type OutboxMessage = StoredMessage;

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
  return insertMessage(trx, { recipient, template: message.template, subject: rendered.subject, bodyText: rendered.text, bodyHtml: rendered.html, entity: message.entity ?? null });
}

/** The outbox, newest first, for administrators (the demo's mailbox when no SMTP server is set). */
export async function listOutbox(db: Kysely<Database>, actor: AuthUser | null, filters: OutboxFilters): Promise<OutboxPage> {
  requirePermission(actor, 'outbox.read');
  const limit = Math.min(Math.max(Math.trunc(filters.limit), 1), MAX_PAGE);
  // An unknown cursor is an empty page, not the first one again.
  if (filters.before !== undefined && !UUID.test(filters.before)) return { messages: [], nextBefore: null };
  const rows = await listMessages(db, { status: filters.status, recipient: filters.recipient?.trim(), before: filters.before, limit });
  const page = rows.slice(0, limit);
  return { messages: page, nextBefore: rows.length > limit ? page[page.length - 1]!.id : null };
}

export async function getOutboxMessage(db: Kysely<Database>, actor: AuthUser | null, id: string): Promise<OutboxMessage> {
  requirePermission(actor, 'outbox.read');
  if (!UUID.test(id)) throw new AppError('NOT_FOUND');
  const message = await findMessage(db, id);
  if (!message) throw new AppError('NOT_FOUND');
  return message;
}
