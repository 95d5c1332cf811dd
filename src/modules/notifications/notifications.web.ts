import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getOutboxMessage, listOutbox, OUTBOX_STATUSES } from './outbox.service.ts';

const views = '/modules/notifications/views';
const PAGE_SIZE = 50;
const access = { access: { permission: 'outbox.read' } } as const;

// Filters come from links and a GET form: a malformed value is ignored, not an error page.
const listQuery = z.object({
  status: z.enum(OUTBOX_STATUSES).optional().catch(undefined),
  recipient: z.string().trim().max(320).optional().catch(undefined),
  before: z.uuid().optional().catch(undefined),
});

/** Plain text cut into pieces, the http(s) links among them marked so the page can make them clickable. */
export function linkifyText(text: string): Array<{ text: string; href?: string }> {
  const pieces: Array<{ text: string; href?: string }> = [];
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
    // Sentence punctuation right after a link is not part of it.
    const url = match[0].replace(/[.,;:!?)»]+$/, '');
    if (match.index > last) pieces.push({ text: text.slice(last, match.index) });
    pieces.push({ text: url, href: url });
    last = match.index + url.length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last) });
  return pieces;
}

function listUrl(filters: { status?: string | undefined; recipient?: string | undefined; before?: string | undefined }): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
  const search = query.toString();
  return search ? `/admin/outbox?${search}` : '/admin/outbox';
}

/** Administrators' view of outgoing mail: the demo's mailbox when no SMTP server is configured. */
export default async function notificationsWeb(fastify: FastifyInstance): Promise<void> {
  const { db, config } = fastify.deps;

  fastify.get('/admin/outbox', { config: access }, async (request, reply) => {
    const filters = listQuery.parse(request.query ?? {});
    const page = await listOutbox(db, request.user, { ...filters, limit: PAGE_SIZE });
    return reply.render(`${views}/outbox`, {
      messages: page.messages,
      filters,
      statuses: OUTBOX_STATUSES,
      smtpConfigured: config.smtpUrl !== undefined,
      olderUrl: page.nextBefore ? listUrl({ ...filters, before: page.nextBefore }) : null,
      newestUrl: filters.before ? listUrl({ ...filters, before: undefined }) : null,
      messageUrl: (id: string) => `/admin/outbox/${encodeURIComponent(id)}`,
    });
  });

  fastify.get('/admin/outbox/:id', { config: access }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const message = await getOutboxMessage(db, request.user, id);
    return reply.render(`${views}/outbox-message`, { message, textPieces: linkifyText(message.bodyText) });
  });
}
