/**
 * The auditors' workbench's SQL: it reads the audit log (written only by the audit module) with
 * what each event is about, and it is the only writer of access_events, audit_chain_heads and
 * audit_verifications. The log is read newest first by id: appends are serialized under the
 * chain lock, so id order is commit order.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { personName } from '../../access/permissions.ts';
import type { AccessKind, Database } from '../../db/database.ts';
import { type StoredAuditEvent, toStoredAuditEvent } from '../audit/audit.repository.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** What the viewer filters by; every part optional. Times are instants, bounds [from, to). */
export interface AuditFilters {
  actorUserId?: string;
  organizationId?: string;
  objectId?: string;
  /** An exact action ("review_case.approved") or a kind of action ("review_case"). */
  action?: string;
  from?: Date;
  to?: Date;
  /** Words that must all occur in the event's entity, action, before or after. */
  text?: string;
}

/** A stored event with what it is about and who did it, as the viewer shows it. */
export interface AuditEventView extends StoredAuditEvent {
  objectId: string | null;
  organizationId: string | null;
  actorName: string | null;
  actorEmail: string | null;
}

/**
 * The ids the time bounds stand for: appends are serialized under the chain lock and stamped in
 * that order, so ids grow with occurred_at and a time range is an id range. With it every filter
 * reads its own index in id order and stops after one page.
 */
async function idBounds(db: Executor, filters: AuditFilters): Promise<{ from: string | null; to: string | null }> {
  const bound = async (at: Date | undefined) => {
    if (!at) return null;
    const row = await db.selectFrom('audit_events').select('id').where('occurred_at', '>=', at).orderBy('occurred_at').limit(1).executeTakeFirst();
    return row?.id ?? '9223372036854775807';
  };
  return { from: await bound(filters.from), to: await bound(filters.to) };
}

function eventColumns(db: Executor) {
  return db
    .selectFrom('audit_events as e')
    .innerJoin('audit_event_scopes as s', 's.event_id', 'e.id')
    .leftJoin('users as u', 'u.id', 'e.actor_user_id')
    .select([
      'e.id',
      'e.occurred_at',
      'e.actor_user_id',
      'e.actor_organization_id',
      'e.actor_label',
      'e.entity_type',
      'e.entity_id',
      'e.action',
      'e.before',
      'e.after',
      'e.request_id',
      'e.prev_hash',
      'e.hash',
      's.object_id',
      's.organization_id',
      'u.surname',
      'u.given_name',
      'u.patronymic',
      'u.email',
    ]);
}

type EventRow = Awaited<ReturnType<ReturnType<typeof eventColumns>['execute']>>[number];

function toEventView(row: EventRow): AuditEventView {
  return {
    ...toStoredAuditEvent(row),
    objectId: row.object_id,
    organizationId: row.organization_id,
    actorName: personName(row),
    actorEmail: row.email,
  };
}

/**
 * One page of events, newest first, strictly before `beforeId` (keyset paging: the same cost on
 * the thousandth page as on the first). Returns up to `limit` events.
 */
export async function findAuditEvents(db: Executor, filters: AuditFilters, options: { beforeId?: string; afterId?: string; limit: number; order?: 'desc' | 'asc' }): Promise<AuditEventView[]> {
  const bounds = await idBounds(db, filters);
  const order = options.order ?? 'desc';
  let query = eventColumns(db);
  if (filters.actorUserId) query = query.where('e.actor_user_id', '=', filters.actorUserId);
  if (filters.objectId) query = query.where('s.object_id', '=', filters.objectId);
  if (filters.organizationId) query = query.where('s.organization_id', '=', filters.organizationId);
  if (filters.action) {
    const action = filters.action;
    query = action.includes('.') ? query.where('e.action', '=', action) : query.where('e.action', 'like', `${action.replace(/[\\%_]/g, '\\$&')}.%`);
  }
  if (filters.text) query = query.where(sql<boolean>`e.details_tsv @@ websearch_to_tsquery('simple', ${filters.text})`);
  // The id bounds stand on the scope table's side when it is filtered, so its index range is read.
  const idColumn = filters.objectId || filters.organizationId ? 's.event_id' : 'e.id';
  if (bounds.from !== null) query = query.where(sql.ref(idColumn), '>=', bounds.from);
  if (bounds.to !== null) query = query.where(sql.ref(idColumn), '<', bounds.to);
  if (options.beforeId) query = query.where(sql.ref(idColumn), '<', options.beforeId);
  if (options.afterId) query = query.where(sql.ref(idColumn), '>', options.afterId);
  const rows = await query.orderBy(sql.ref(idColumn), order).limit(options.limit).execute();
  return rows.map(toEventView);
}

export async function findAuditEvent(db: Executor, id: string): Promise<AuditEventView | null> {
  const row = await eventColumns(db).where('e.id', '=', id).executeTakeFirst();
  return row ? toEventView(row) : null;
}

/** The newest event's id and hash: the head of the chain as it stands (null for an empty log). */
export async function auditChainTip(db: Executor): Promise<{ id: string; hash: string; occurredAt: Date } | null> {
  const row = await db.selectFrom('audit_events').select(['id', 'hash', 'occurred_at']).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? { id: row.id, hash: row.hash, occurredAt: row.occurred_at } : null;
}

/** How many events there are up to and including `lastId`, counted from `fromCount` events up to `afterId`. */
export async function countAuditEvents(db: Executor, afterId: string | null, lastId: string): Promise<number> {
  let query = db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where(sql<boolean>`id <= ${lastId}::bigint`);
  if (afterId !== null) query = query.where(sql<boolean>`id > ${afterId}::bigint`);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---------------------------------------------------------------------------------------------
// Verifications and published heads

export interface AuditVerification {
  id: string;
  startedAt: Date;
  finishedAt: Date;
  trigger: 'nightly' | 'manual' | 'published_heads';
  requestedBy: string | null;
  ok: boolean;
  checked: number;
  lastHash: string;
  brokenEventId: string | null;
  brokenReason: string | null;
}

export async function insertAuditVerification(db: Executor, run: Omit<AuditVerification, 'id'>): Promise<void> {
  await db
    .insertInto('audit_verifications')
    .values({
      started_at: run.startedAt,
      finished_at: run.finishedAt,
      trigger: run.trigger,
      requested_by: run.requestedBy,
      ok: run.ok,
      checked: String(run.checked),
      last_hash: run.lastHash,
      broken_event_id: run.brokenEventId,
      broken_reason: run.brokenReason,
    })
    .execute();
}

function toVerification(row: { id: string; started_at: Date; finished_at: Date; trigger: AuditVerification['trigger']; requested_by: string | null; ok: boolean; checked: string; last_hash: string; broken_event_id: string | null; broken_reason: string | null }): AuditVerification {
  return {
    id: row.id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    trigger: row.trigger,
    requestedBy: row.requested_by,
    ok: row.ok,
    checked: Number(row.checked),
    lastHash: row.last_hash.trim(),
    brokenEventId: row.broken_event_id,
    brokenReason: row.broken_reason,
  };
}

/** The latest run, and when it failed, the first failing run since the last good one ("broken since"). */
export async function latestAuditVerifications(db: Executor): Promise<{ latest: AuditVerification | null; brokenSince: AuditVerification | null }> {
  const latest = await db.selectFrom('audit_verifications').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!latest || latest.ok) return { latest: latest ? toVerification(latest) : null, brokenSince: null };
  const lastGood = await db.selectFrom('audit_verifications').select('id').where('ok', '=', true).orderBy('id', 'desc').limit(1).executeTakeFirst();
  let since = db.selectFrom('audit_verifications').selectAll().where('ok', '=', false).orderBy('id').limit(1);
  if (lastGood) since = since.where('id', '>', lastGood.id);
  const first = await since.executeTakeFirstOrThrow();
  return { latest: toVerification(latest), brokenSince: toVerification(first) };
}

export interface PublishedHead {
  day: string;
  lastEventId: string;
  eventCount: number;
  headHash: string;
  publishedAt: Date;
}

export async function insertChainHead(db: Executor, head: PublishedHead): Promise<boolean> {
  const result = await db
    .insertInto('audit_chain_heads')
    .values({ day: head.day, last_event_id: head.lastEventId, event_count: String(head.eventCount), head_hash: head.headHash, published_at: head.publishedAt })
    .onConflict((c) => c.column('day').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function publishedChainHeads(db: Executor, limit = 400): Promise<PublishedHead[]> {
  const rows = await db.selectFrom('audit_chain_heads').selectAll().orderBy('day', 'desc').limit(limit).execute();
  return rows.map((row) => ({ day: row.day, lastEventId: row.last_event_id, eventCount: Number(row.event_count), headHash: row.head_hash.trim(), publishedAt: row.published_at }));
}

/** The last event stamped before `end` (the end of a day). */
export async function lastEventBefore(db: Executor, end: Date): Promise<{ id: string; hash: string } | null> {
  const row = await db.selectFrom('audit_events').select(['id', 'hash']).where('occurred_at', '<', end).orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? { id: row.id, hash: row.hash } : null;
}

// ---------------------------------------------------------------------------------------------
// Access log (004 §16.4)

export interface AccessRecord {
  occurredAt: Date;
  userId: string | null;
  organizationId: string | null;
  kind: AccessKind;
  entityId: string;
  objectId: string | null;
  requestId: string | null;
}

/**
 * Many records in one statement: the batch the access log's writer collected, as seven arrays
 * unnested by PostgreSQL — one parameter per column instead of one per value, so a batch of 500
 * costs the server and the portal one small statement to parse rather than 3,500 placeholders.
 */
export async function insertAccessEvents(db: Executor, records: readonly AccessRecord[]): Promise<void> {
  if (records.length === 0) return;
  const column = <T>(pick: (record: AccessRecord) => T) => records.map(pick);
  await sql`
    INSERT INTO access_events (occurred_at, user_id, organization_id, kind, entity_id, object_id, request_id)
    SELECT * FROM unnest(
      ${column((r) => r.occurredAt.toISOString())}::timestamptz[], ${column((r) => r.userId)}::uuid[], ${column((r) => r.organizationId)}::uuid[],
      ${column((r) => r.kind)}::text[], ${column((r) => r.entityId)}::text[], ${column((r) => r.objectId)}::uuid[], ${column((r) => r.requestId)}::text[]
    )`.execute(db);
}

export interface AccessEventView extends AccessRecord {
  id: string;
  userName: string | null;
  userEmail: string | null;
}

export async function findAccessEvents(db: Executor, filters: { objectId?: string; userId?: string; kind?: AccessKind }, options: { beforeId?: string; limit: number }): Promise<AccessEventView[]> {
  let query = db
    .selectFrom('access_events as a')
    .leftJoin('users as u', 'u.id', 'a.user_id')
    .select(['a.id', 'a.occurred_at', 'a.user_id', 'a.organization_id', 'a.kind', 'a.entity_id', 'a.object_id', 'a.request_id', 'u.surname', 'u.given_name', 'u.patronymic', 'u.email']);
  if (filters.objectId) query = query.where('a.object_id', '=', filters.objectId);
  if (filters.userId) query = query.where('a.user_id', '=', filters.userId);
  if (filters.kind) query = query.where('a.kind', '=', filters.kind);
  if (options.beforeId) query = query.where('a.id', '<', options.beforeId);
  const rows = await query.orderBy('a.id', 'desc').limit(options.limit).execute();
  return rows.map((row) => ({
    id: row.id,
    occurredAt: row.occurred_at,
    userId: row.user_id,
    organizationId: row.organization_id,
    kind: row.kind,
    entityId: row.entity_id,
    objectId: row.object_id,
    requestId: row.request_id,
    userName: personName(row),
    userEmail: row.email,
  }));
}

// ---------------------------------------------------------------------------------------------
// One object's history

export interface ObjectHeading {
  id: string;
  nameKk: string;
  nameRu: string;
  organizationId: string;
  accountCode: string | null;
}

export async function findObjectHeading(db: Executor, id: string): Promise<ObjectHeading | null> {
  const row = await db
    .selectFrom('objects')
    .select(['id', 'organization_id', 'account_code', sql<string>`passport #>> '{name,full,kk}'`.as('name_kk'), sql<string>`passport #>> '{name,full,ru}'`.as('name_ru')])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? { id: row.id, nameKk: row.name_kk, nameRu: row.name_ru, organizationId: row.organization_id, accountCode: row.account_code } : null;
}

/** The passport as saved in one version (object_versions rows are never changed). */
export async function findPassportVersion(db: Executor, objectId: string, version: number): Promise<{ passport: unknown; changedAt: Date } | null> {
  const row = await db.selectFrom('object_versions').select(['passport', 'changed_at']).where('object_id', '=', objectId).where('version', '=', version).executeTakeFirst();
  return row ? { passport: row.passport, changedAt: row.changed_at } : null;
}

// ---------------------------------------------------------------------------------------------
// What the filters offer

export async function findUserIdByEmail(db: Executor, email: string): Promise<string | null> {
  const row = await db.selectFrom('users').select('id').where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
  return row?.id ?? null;
}

export async function listOrganizationsForFilter(db: Executor, language: 'kk' | 'ru' | 'en'): Promise<Array<{ id: string; name: string; bin: string }>> {
  const name = language === 'kk' ? sql<string>`name_kk` : language === 'ru' ? sql<string>`name_ru` : sql<string>`coalesce(name_en, name_ru)`;
  return db.selectFrom('organizations').select(['id', 'bin', name.as('name')]).orderBy(name).execute();
}

/** The stamp that triggers move with any change to organizations (migration …_object_page_stamps): what a kept list depends on. */
export async function referenceStamp(db: Executor): Promise<string> {
  const row = await db.selectFrom('page_reference_stamp').select('stamp').executeTakeFirstOrThrow();
  return String(row.stamp);
}
