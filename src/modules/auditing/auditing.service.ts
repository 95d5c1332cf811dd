/**
 * The auditors' workbench (issue 13): the audit log read with filters and exported, the state of
 * its hash chain (verifications, published heads), one object's whole history and the object as
 * it stood at any moment, and the access log (004 §16.4). Auditors and administrators read it
 * (`audit.read`); nothing here changes a record of the portal — verifications and published heads
 * are records of their own, append-only like the log.
 */
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import { ACCESS_KINDS, type AccessKind, type Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { csvAlmatyMinute, CSV_BOM, csvLine } from '../../web/csv.ts';
import type { JobSender } from '../../jobs/job-queue.ts';
import { type ChainHead, verifyAuditChain } from '../audit/audit.service.ts';
import { endOfAlmatyDay, toAlmatyDate } from '../calendar/working-days.ts';
import {
  type AccessEventView,
  type AuditEventView,
  type AuditFilters,
  type AuditVerification,
  auditChainTip,
  countAuditEvents,
  findAccessEvents,
  findAuditEvent,
  findAuditEvents,
  insertAuditVerification,
  insertChainHead,
  lastEventBefore,
  latestAuditVerifications,
  type PublishedHead,
  publishedChainHeads,
} from './auditing.repository.ts';

export type { AccessEventView, AuditEventView, AuditFilters, AuditVerification, PublishedHead };

/** The queue of the chain's verifications (audit-jobs.ts works it). */
export const AUDIT_VERIFY_QUEUE = 'audit.verify';

export const AUDIT_PAGE_SIZE = 50;
const EXPORT_BATCH = 1000;
export const MAX_TEXT_QUERY = 200;

/** The kinds of action the viewer offers as a filter: the entity part of every action the portal records. */
export const AUDIT_ACTION_KINDS = [
  'object',
  'document',
  'document_file',
  'review_case',
  'review_cases',
  'issued_document',
  'account_request',
  'user',
  'organization',
  'calendar_year',
  'sign_in',
  'password_reset',
  'fixity',
] as const;

/** The filters as typed: ids and days as text, checked here so a page and the API refuse the same way. */
export interface AuditFilterInput {
  actor?: string | undefined;
  organization?: string | undefined;
  object?: string | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  q?: string | undefined;
}

const ACTION = /^[a-z_]{1,60}(\.[a-z_]{1,60})?$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The filters for the repository, or VALIDATION_FAILED naming each bad field. Days are Almaty days, `to` inclusive. */
export function parseAuditFilters(input: AuditFilterInput): AuditFilters {
  const errors: FieldError[] = [];
  const filters: AuditFilters = {};
  const id = (field: 'actor' | 'organization' | 'object', value: string | undefined) => {
    if (!value) return undefined;
    if (UUID.test(value)) return value.toLowerCase();
    errors.push({ field, rule: 'invalid' });
    return undefined;
  };
  const actor = id('actor', input.actor?.trim());
  if (actor) filters.actorUserId = actor;
  const organization = id('organization', input.organization?.trim());
  if (organization) filters.organizationId = organization;
  const object = id('object', input.object?.trim());
  if (object) filters.objectId = object;
  const action = input.action?.trim();
  if (action) {
    if (ACTION.test(action)) filters.action = action;
    else errors.push({ field: 'action', rule: 'invalid' });
  }
  const day = (field: 'from' | 'to', value: string | undefined) => {
    if (!value) return undefined;
    if (DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return value;
    errors.push({ field, rule: 'date' });
    return undefined;
  };
  const from = day('from', input.from?.trim());
  const to = day('to', input.to?.trim());
  if (from) filters.from = new Date(endOfAlmatyDay(from).getTime() - 24 * 60 * 60 * 1000 + 1);
  if (to) filters.to = new Date(endOfAlmatyDay(to).getTime() + 1);
  if (from && to && from > to) errors.push({ field: 'to', rule: 'before_from' });
  const q = input.q?.trim().replace(/\s+/g, ' ');
  if (q) {
    if (q.length > MAX_TEXT_QUERY) errors.push({ field: 'q', rule: 'too_long' });
    else filters.text = q;
  }
  if (errors.length > 0) throw new AppError('VALIDATION_FAILED', 'invalid audit filters', { fields: errors });
  return filters;
}

export interface AuditPage {
  events: AuditEventView[];
  /** The cursor of the next (older) page; null on the last. */
  nextBefore: string | null;
}

export async function listAuditEvents(db: Kysely<Database>, actor: AuthUser | null | undefined, filters: AuditFilters, options: { before?: string; limit?: number } = {}): Promise<AuditPage> {
  requirePermission(actor, 'audit.read');
  const limit = options.limit ?? AUDIT_PAGE_SIZE;
  const before = options.before && /^\d{1,19}$/.test(options.before) ? options.before : undefined;
  const rows = await findAuditEvents(db, filters, { ...(before ? { beforeId: before } : {}), limit: limit + 1 });
  const events = rows.slice(0, limit);
  return { events, nextBefore: rows.length > limit ? events.at(-1)!.id : null };
}

export async function getAuditEvent(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string): Promise<AuditEventView> {
  requirePermission(actor, 'audit.read');
  if (!/^\d{1,19}$/.test(id)) throw new AppError('NOT_FOUND');
  const event = await findAuditEvent(db, id);
  if (!event) throw new AppError('NOT_FOUND');
  return event;
}

/** One event as a JSON Lines record: every hashed field, so a reader can recompute the hash. */
export function auditEventJson(event: AuditEventView): Record<string, unknown> {
  return {
    id: event.id,
    occurredAt: event.occurredAt.toISOString(),
    actorUserId: event.actorUserId,
    actorName: event.actorName,
    actorOrganizationId: event.actorOrganizationId,
    actorLabel: event.actorLabel,
    entityType: event.entityType,
    entityId: event.entityId,
    objectId: event.objectId,
    organizationId: event.organizationId,
    action: event.action,
    before: event.before,
    after: event.after,
    requestId: event.requestId,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

export const AUDIT_CSV_COLUMNS = ['id', 'occurred_at', 'actor', 'actor_label', 'entity_type', 'entity_id', 'object_id', 'action', 'before', 'after', 'request_id', 'hash'] as const;

/**
 * Every event of the filter, oldest first, as CSV (UTF-8 with BOM, ";"-separated) or JSON Lines,
 * read in keyset batches inside one read-only REPEATABLE READ transaction: one consistent
 * snapshot however long the download. The check runs before the stream is returned, so a refusal
 * is an ordinary error, not a broken download.
 */
export function exportAuditEvents(db: Kysely<Database>, actor: AuthUser | null | undefined, filters: AuditFilters, options: { format: 'csv' | 'jsonl'; header: readonly string[] }): Readable {
  requirePermission(actor, 'audit.read');
  async function* chunks(): AsyncGenerator<Buffer> {
    if (options.format === 'csv') yield Buffer.from(CSV_BOM + csvLine(options.header), 'utf8');
    const trx = await db.startTransaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute();
    let committed = false;
    try {
      let after: string | undefined;
      for (;;) {
        const events = await findAuditEvents(trx, filters, { ...(after ? { afterId: after } : {}), limit: EXPORT_BATCH, order: 'asc' });
        if (events.length === 0) break;
        const text =
          options.format === 'jsonl'
            ? events.map((event) => `${JSON.stringify(auditEventJson(event))}\n`).join('')
            : events
                .map((event) =>
                  csvLine([
                    event.id,
                    csvAlmatyMinute(event.occurredAt),
                    event.actorName ?? event.actorUserId ?? '',
                    event.actorLabel ?? '',
                    event.entityType,
                    event.entityId,
                    event.objectId ?? '',
                    event.action,
                    event.before === null ? '' : JSON.stringify(event.before),
                    event.after === null ? '' : JSON.stringify(event.after),
                    event.requestId ?? '',
                    event.hash,
                  ]),
                )
                .join('');
        yield Buffer.from(text, 'utf8');
        after = events.at(-1)!.id;
        if (events.length < EXPORT_BATCH) break;
      }
      await trx.commit().execute();
      committed = true;
    } finally {
      if (!committed) await trx.rollback().execute().catch(() => undefined);
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

// ---------------------------------------------------------------------------------------------
// The chain: its head, its verifications, the heads published each day

export interface ChainState {
  tip: { id: string; hash: string; occurredAt: Date } | null;
  latest: AuditVerification | null;
  brokenSince: AuditVerification | null;
  lastPublished: PublishedHead | null;
  running: boolean;
}

let runningVerification: Promise<AuditVerification> | null = null;

export async function auditChainState(db: Kysely<Database>, actor: AuthUser | null | undefined): Promise<ChainState> {
  requirePermission(actor, 'audit.read');
  const [tip, runs, heads] = await Promise.all([auditChainTip(db), latestAuditVerifications(db), publishedChainHeads(db, 1)]);
  return { tip, ...runs, lastPublished: heads[0] ?? null, running: runningVerification !== null };
}

/**
 * Verifies the whole chain — against every head published, so a rewrite with recomputed hashes
 * is caught too — and records the run. One run at a time per process: a second request while one
 * runs waits for it.
 */
export function runAuditVerification(db: Kysely<Database>, run: { trigger: AuditVerification['trigger']; requestedBy: string | null }): Promise<AuditVerification> {
  runningVerification ??= (async () => {
    try {
      const startedAt = new Date();
      const heads: ChainHead[] = (await publishedChainHeads(db, 100_000)).reverse();
      const report = await verifyAuditChain(db, 5000, heads);
      const result: Omit<AuditVerification, 'id'> = {
        startedAt,
        finishedAt: new Date(),
        trigger: run.trigger,
        requestedBy: run.requestedBy,
        ok: report.ok,
        checked: report.checked,
        lastHash: report.lastHash,
        brokenEventId: report.firstBroken?.id ?? null,
        brokenReason: report.firstBroken?.reason ?? null,
      };
      await insertAuditVerification(db, result);
      return { id: '', ...result };
    } finally {
      runningVerification = null;
    }
  })();
  return runningVerification;
}

/** "Verify now" from the viewer: queued for a working node (audit-jobs.ts); the page reads the result when it is recorded. */
export async function requestAuditVerification(db: Kysely<Database>, jobs: JobSender, actor: AuthUser | null | undefined): Promise<void> {
  requirePermission(actor, 'audit.read');
  await jobs.send(db, AUDIT_VERIFY_QUEUE, { trigger: 'manual', requestedBy: actor.id });
}

/**
 * Publishes the head of the chain as it stood at the end of `day` (Almaty): the last event of that
 * day, its hash, and how many events the chain then held. Once per day; publishing again changes
 * nothing. Null when the log was empty then.
 */
export async function publishChainHead(db: Kysely<Database>, day: string, now = new Date()): Promise<PublishedHead | null> {
  const end = new Date(endOfAlmatyDay(day).getTime() + 1);
  if (end > now) throw new AppError('CONFLICT', 'the day has not ended yet', { reason: 'day_not_over' });
  const last = await lastEventBefore(db, end);
  if (!last) return null;
  const [previous] = (await publishedChainHeads(db, 400)).filter((head) => head.day < day);
  const count = previous && BigInt(previous.lastEventId) <= BigInt(last.id) ? previous.eventCount + (await countAuditEvents(db, previous.lastEventId, last.id)) : await countAuditEvents(db, null, last.id);
  const head: PublishedHead = { day, lastEventId: last.id, eventCount: count, headHash: last.hash.trim(), publishedAt: now };
  await insertChainHead(db, head);
  return (await publishedChainHeads(db, 400)).find((published) => published.day === day) ?? head;
}

/** Yesterday's head, as the daily job publishes it. */
export function publishYesterdaysHead(db: Kysely<Database>, now = new Date()): Promise<PublishedHead | null> {
  const today = toAlmatyDate(now);
  const yesterday = toAlmatyDate(new Date(endOfAlmatyDay(today).getTime() - 36 * 60 * 60 * 1000));
  return publishChainHead(db, yesterday, now);
}

/** The published heads, newest first: public, so that anyone can keep a copy outside the database. */
export function listPublishedHeads(db: Kysely<Database>): Promise<PublishedHead[]> {
  return publishedChainHeads(db, 400);
}

// ---------------------------------------------------------------------------------------------
// Access log (004 §16.4)

export interface AccessFilterInput {
  object?: string | undefined;
  user?: string | undefined;
  kind?: string | undefined;
}

export async function listAccessEvents(db: Kysely<Database>, actor: AuthUser | null | undefined, input: AccessFilterInput, options: { before?: string; limit?: number } = {}): Promise<{ events: AccessEventView[]; nextBefore: string | null }> {
  requirePermission(actor, 'audit.read');
  const limit = options.limit ?? AUDIT_PAGE_SIZE;
  const filters: { objectId?: string; userId?: string; kind?: AccessKind } = {};
  if (input.object && UUID.test(input.object)) filters.objectId = input.object;
  if (input.user && UUID.test(input.user)) filters.userId = input.user;
  if (input.kind && (ACCESS_KINDS as readonly string[]).includes(input.kind)) filters.kind = input.kind as AccessKind;
  const before = options.before && /^\d{1,19}$/.test(options.before) ? options.before : undefined;
  const rows = await findAccessEvents(db, filters, { ...(before ? { beforeId: before } : {}), limit: limit + 1 });
  const events = rows.slice(0, limit);
  return { events, nextBefore: rows.length > limit ? events.at(-1)!.id : null };
}
