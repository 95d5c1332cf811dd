/**
 * The auditors' pages: the audit log with its filters, exports and chain state; one event; the
 * access log; one object's timeline and the object as of a moment; and the published heads of the
 * chain (public, with their JSON feed). Every page calls the service; only "verify now" posts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ACCESS_KINDS } from '../../db/database.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { fieldErrors, parseParams } from '../../web/route-helpers.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import {
  AUDIT_ACTION_KINDS,
  AUDIT_CSV_COLUMNS,
  type AuditFilterInput,
  auditChainState,
  auditEventJson,
  exportAuditEvents,
  getAuditEvent,
  listAccessEvents,
  listAuditEvents,
  listPublishedHeads,
  parseAuditFilters,
  requestAuditVerification,
} from './auditing.service.ts';
import { auditTexts, eventSummary, filterQueryString } from './auditing.view.ts';
import { getObjectAsOf, getObjectTimeline } from './object-history.service.ts';
import { TIMELINE_KINDS, type TimelineKind } from './object-history.ts';
import { findUserIdByEmail, listOrganizationsForFilter, referenceStamp } from './auditing.repository.ts';

const views = '/modules/auditing/views';
const read = { access: { permission: 'audit.read' } } as const;

const text = (max: number) => z.string().max(max).optional().catch(undefined);
const filterQuery = z.object({
  actor: text(320),
  organization: text(100),
  object: text(100),
  action: text(130),
  from: text(20),
  to: text(20),
  q: text(400),
  before: text(25),
});
const idParams = z.object({ id: z.string().regex(/^\d{1,19}$/) });
const objectParams = z.object({ id: z.guid() });
const accessQuery = z.object({ object: text(100), user: text(100), kind: z.enum(ACCESS_KINDS).optional().catch(undefined), before: text(25) });
const timelineQuery = z.object({ kind: z.union([z.string(), z.array(z.string())]).optional().catch(undefined) });
const asOfQuery = z.object({ at: z.string().max(40).optional().catch(undefined) });

/** The typed filters with an e-mail given for the actor turned into that user's id. */
async function resolveActor(fastify: FastifyInstance, input: AuditFilterInput): Promise<AuditFilterInput> {
  const actor = input.actor?.trim();
  if (!actor || !actor.includes('@')) return input;
  const id = await findUserIdByEmail(fastify.deps.db, actor);
  if (!id) throw new AppError('VALIDATION_FAILED', 'no such user', { fields: [{ field: 'actor', rule: 'unknown_user' } satisfies FieldError] });
  return { ...input, actor: id };
}

/** "2026-12-03T14:30" (Almaty), as a datetime-local field sends it; a day alone means its end. */
function parseMoment(value: string | undefined): Date | null {
  const match = value ? /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(value) : null;
  if (!match) return null;
  const at = match[2] ? new Date(`${match[1]}T${match[2]}:${match[3]}:59.999+05:00`) : new Date(`${match[1]}T23:59:59.999+05:00`);
  return Number.isNaN(at.getTime()) ? null : at;
}

export default async function auditingWeb(fastify: FastifyInstance): Promise<void> {
  const { db } = fastify.deps;

  // The organizations the filter offers, kept per language while no organization changes (the reference stamp).
  const organizationLists = new Map<string, { stamp: string; list: Awaited<ReturnType<typeof listOrganizationsForFilter>> }>();
  async function organizationsFor(language: 'kk' | 'ru' | 'en') {
    const stamp = await referenceStamp(db);
    const kept = organizationLists.get(language);
    if (kept?.stamp === stamp) return kept.list;
    const list = await listOrganizationsForFilter(db, language);
    organizationLists.set(language, { stamp, list });
    return list;
  }

  fastify.get('/audit', { config: read }, async (request, reply) => {
    const query = filterQuery.parse(request.query ?? {});
    const values: AuditFilterInput = { actor: query.actor, organization: query.organization, object: query.object, action: query.action, from: query.from, to: query.to, q: query.q };
    const [chain, organizations] = await Promise.all([auditChainState(db, request.user), organizationsFor(request.language)]);
    const texts = auditTexts(request);
    const common = { ...texts, values, chain, organizations, actionKinds: AUDIT_ACTION_KINDS, eventSummary: (event: Parameters<typeof eventSummary>[1]) => eventSummary(texts, event) };
    let page;
    try {
      page = await listAuditEvents(db, request.user, parseAuditFilters(await resolveActor(fastify, values)), query.before ? { before: query.before } : {});
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return reply.status(422).render(`${views}/log`, { ...common, errors, events: [], olderUrl: null, newestUrl: null, exportQuery: null });
    }
    const filters = filterQueryString(values);
    return reply.render(`${views}/log`, {
      ...common,
      errors: [],
      events: page.events,
      olderUrl: page.nextBefore ? `/audit${filterQueryString(values, { before: page.nextBefore })}` : null,
      newestUrl: query.before ? `/audit${filters}` : null,
      exportQuery: filters,
    });
  });

  for (const format of ['csv', 'jsonl'] as const) {
    fastify.get(`/audit/export.${format}`, { config: read }, async (request, reply) => {
      const query = filterQuery.parse(request.query ?? {});
      const filters = parseAuditFilters(await resolveActor(fastify, query));
      const header = AUDIT_CSV_COLUMNS.map((column) => request.t(`auditing.csv.${column}`));
      const stream = exportAuditEvents(db, request.user, filters, { format, header });
      fastify.deps.accessLog.record({ actor: request.user ?? null, kind: 'export', entityId: `audit_events${filterQueryString(query)}`, requestId: request.id });
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-${toAlmatyDate(new Date())}.${format}"`)
        .header('cache-control', 'no-store')
        .send(stream);
    });
  }

  fastify.post('/audit/verify', { config: read }, async (request, reply) => {
    await requestAuditVerification(db, fastify.deps.jobs, request.user);
    request.session.flash = 'auditing.flash.verification_started';
    return reply.redirect('/audit#chain', 303);
  });

  fastify.get('/audit/events/:id', { config: read }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const event = await getAuditEvent(db, request.user, id);
    const texts = auditTexts(request);
    return reply.render(`${views}/event`, { ...texts, event, summary: eventSummary(texts, event), json: JSON.stringify(auditEventJson(event), null, 2) });
  });

  fastify.get('/audit/access', { config: read }, async (request, reply) => {
    const query = accessQuery.parse(request.query ?? {});
    const page = await listAccessEvents(db, request.user, query, query.before ? { before: query.before } : {});
    const base = new URLSearchParams();
    for (const name of ['object', 'user', 'kind'] as const) if (query[name]) base.set(name, query[name]!);
    const older = new URLSearchParams(base);
    if (page.nextBefore) older.set('before', page.nextBefore);
    return reply.render(`${views}/access`, { ...auditTexts(request), query, kinds: ACCESS_KINDS, events: page.events, olderUrl: page.nextBefore ? `/audit/access?${older}` : null });
  });

  fastify.get('/objects/:id/history', { config: read }, async (request, reply) => {
    const { id } = parseParams(objectParams, request.params);
    const raw = timelineQuery.parse(request.query ?? {}).kind;
    const kinds = (Array.isArray(raw) ? raw : raw ? [raw] : []).filter((kind): kind is TimelineKind => (TIMELINE_KINDS as readonly string[]).includes(kind));
    const timeline = await getObjectTimeline(db, request.user, id, kinds);
    const texts = auditTexts(request);
    return reply.render(`${views}/timeline`, { ...texts, timeline, kinds: TIMELINE_KINDS, selected: kinds, eventSummary: (event: Parameters<typeof eventSummary>[1]) => eventSummary(texts, event) });
  });

  fastify.get('/objects/:id/as-of', { config: read }, async (request, reply) => {
    const { id } = parseParams(objectParams, request.params);
    const { at: typed } = asOfQuery.parse(request.query ?? {});
    const at = typed === undefined || typed === '' ? new Date() : parseMoment(typed);
    const texts = auditTexts(request);
    if (!at) {
      const timeline = await getObjectTimeline(db, request.user, id, []);
      return reply.status(422).render(`${views}/as-of`, { ...texts, view: null, object: timeline.object, values: { at: typed }, errors: [{ field: 'at', rule: 'date' }] });
    }
    const view = await getObjectAsOf(db, request.user, id, at);
    return reply.render(`${views}/as-of`, { ...texts, view, object: view.object, values: { at: typed ?? '' }, errors: [] });
  });

  fastify.get('/audit/heads', { config: { access: 'public' } }, async (request, reply) => {
    return reply.render(`${views}/heads`, { ...auditTexts(request), heads: await listPublishedHeads(db) });
  });

  fastify.get('/audit/heads.json', { config: { access: 'public' } }, async (_request, reply) => {
    const heads = await listPublishedHeads(db);
    return reply
      .header('cache-control', 'public, max-age=300')
      .send({ description: 'Daily heads of the architecture portal audit chain (SHA-256 over RFC 8785 canonical JSON of each event, each event linking the previous one).', heads: heads.map((head) => ({ day: head.day, lastEventId: head.lastEventId, eventCount: head.eventCount, headHash: head.headHash, publishedAt: head.publishedAt.toISOString() })) });
  });
}
