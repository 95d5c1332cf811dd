/**
 * The objects module's SQL: the tables objects, object_versions, lifecycle_events and
 * update_duties are written here and nowhere else. Functions take the database or a transaction;
 * those that lock rows or write take a Transaction, so a caller must have opened one. Rows are
 * turned into the module's records here; the services add what depends on the clock and the
 * calendar.
 *
 * Also read here, never written: the documents of an object (which kinds are accepted, for
 * lifecycle moves, completeness and the 004 §18 check, and the state of each kind's latest
 * version, for the required-documents list; the documents module writes those tables), the names
 * of organizations and of the people who recorded a change.
 */
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database, DocumentFileStatus, ObjectsTable } from '../../db/database.ts';
import { personName } from '../../access/permissions.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { type DocumentKind, type DocumentVersionStatus, isDocumentKind, pairStatus } from './document-kinds.ts';
import { isMoveId, type LifecycleState, type MoveId, type RecordedMove, stateOf } from './lifecycle.ts';
import type { ObjectPassport } from './passport.ts';
import type { DutyRecord, DutySource, DutyStatusFilter } from './update-duty.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export type ObjectRow = Selectable<ObjectsTable>;

/** Where the object stands with the service integrator (003 §8): set by the review workflow. */
export type ObjectReviewStatus = 'submitted' | 'returned' | 'accepted';

// ---------------------------------------------------------------------------------------------
// Objects and their passport versions

/** The object's row, locked for the transaction's rest when `lock` is set. */
export async function findObjectRow(db: Executor, id: string, options: { lock?: boolean } = {}): Promise<ObjectRow | undefined> {
  let query = db.selectFrom('objects').selectAll().where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The columns copied out of the passport for search, sorting and the registry list. */
function passportColumns(passport: ObjectPassport) {
  return {
    passport: JSON.stringify(passport),
    kind: passport.kind,
    class: passport.class,
    name_kk: passport.name.full.kk,
    name_ru: passport.name.full.ru,
    short_name_kk: passport.name.short?.kk ?? null,
    short_name_ru: passport.name.short?.ru ?? null,
    purpose_kk: passport.purpose.kk,
    purpose_ru: passport.purpose.ru,
  };
}

/** A new object at version 1 in `state`, not yet commissioned, without an account code; its id. */
export async function insertObjectRow(
  trx: Transaction<Database>,
  values: { passport: ObjectPassport; organizationId: string; state: LifecycleState; actorId: string; now: Date },
): Promise<string> {
  const object = await trx
    .insertInto('objects')
    .values({
      ...passportColumns(values.passport),
      organization_id: values.organizationId,
      version: 1,
      stage: values.state.stage,
      step: values.state.step,
      commissioned_on: null,
      terminated_on: null,
      account_code: null,
      created_at: values.now,
      created_by: values.actorId,
      updated_at: values.now,
      updated_by: values.actorId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return object.id;
}

/** The object's passport replaced by its next version. */
export async function updateObjectPassport(
  trx: Transaction<Database>,
  objectId: string,
  values: { passport: ObjectPassport; version: number; actorId: string; now: Date },
): Promise<void> {
  await trx
    .updateTable('objects')
    .set({ ...passportColumns(values.passport), version: values.version, updated_at: values.now, updated_by: values.actorId })
    .where('id', '=', objectId)
    .execute();
}

/** One saved version of the passport, whole, with the stage it was saved in. */
export async function insertObjectVersion(
  trx: Transaction<Database>,
  values: {
    objectId: string;
    version: number;
    passport: ObjectPassport;
    state: { stage: string; step: string | null };
    informationChangedOn: string;
    actorId: string;
    now: Date;
  },
): Promise<void> {
  await trx
    .insertInto('object_versions')
    .values({
      object_id: values.objectId,
      version: values.version,
      passport: JSON.stringify(values.passport),
      stage: values.state.stage,
      step: values.state.step,
      information_changed_on: values.informationChangedOn,
      changed_at: values.now,
      changed_by: values.actorId,
      note: null,
    })
    .execute();
}

export interface VersionRecord {
  version: number;
  passport: unknown;
  stage: string;
  step: string | null;
  informationChangedOn: string;
  changedAt: Date;
  changedByName: string | null;
}

/** Every saved version of the object's passport, oldest first. */
export async function listVersionRecords(db: Executor, objectId: string): Promise<VersionRecord[]> {
  const rows = await db
    .selectFrom('object_versions as v')
    .leftJoin('users as u', 'u.id', 'v.changed_by')
    .select(['v.version', 'v.passport', 'v.stage', 'v.step', 'v.information_changed_on', 'v.changed_at', 'u.surname', 'u.given_name', 'u.patronymic'])
    .where('v.object_id', '=', objectId)
    .orderBy('v.version')
    .execute();
  return rows.map((row) => ({
    version: row.version,
    passport: row.passport,
    stage: row.stage,
    step: row.step,
    informationChangedOn: row.information_changed_on,
    changedAt: row.changed_at,
    changedByName: personName(row),
  }));
}

/** Of the given ids, those of registered objects (ids in lower case). */
export async function existingObjectIds(db: Executor, ids: ReadonlyArray<string>): Promise<ReadonlySet<string>> {
  const rows = await db.selectFrom('objects').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((row) => row.id));
}

/** The names of the given objects, by id; only `organizationId`'s when given. */
export async function objectNamesById(db: Executor, ids: ReadonlyArray<string>, organizationId: string | null): Promise<Record<string, { kk: string; ru: string }>> {
  let query = db.selectFrom('objects').select(['id', 'name_kk', 'name_ru']).where('id', 'in', ids);
  if (organizationId !== null) query = query.where('organization_id', '=', organizationId);
  return Object.fromEntries((await query.execute()).map((o) => [o.id, { kk: o.name_kk, ru: o.name_ru }]));
}

/** Whether an organization with this id is registered. */
export async function organizationExists(db: Executor, id: string): Promise<boolean> {
  const found = await db.selectFrom('organizations').select('id').where('id', '=', id).executeTakeFirst();
  return found !== undefined;
}


// ---------------------------------------------------------------------------------------------
// The review workflow's and the documents module's writes on objects

export async function setReviewStatus(trx: Transaction<Database>, objectId: string, status: Exclude<ObjectReviewStatus, 'accepted'>): Promise<void> {
  await trx.updateTable('objects').set({ review_status: status }).where('id', '=', objectId).execute();
}

/** An approval (003 §8): the object is accepted, with its account code and the case that approved it. */
export async function recordObjectApproval(trx: Transaction<Database>, objectId: string, approval: { accountCode: string; caseId: string }): Promise<void> {
  await trx
    .updateTable('objects')
    .set({ review_status: 'accepted', account_code: approval.accountCode, approved_case_id: approval.caseId })
    .where('id', '=', objectId)
    .execute();
}

/** The text of the object's accepted documents, which the registry search reads (documents module keeps it current). */
export async function setDocumentsText(trx: Transaction<Database>, objectId: string, text: string): Promise<void> {
  await trx.updateTable('objects').set({ documents_text: text }).where('id', '=', objectId).execute();
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

export interface TimelineEntry {
  id: string;
  move: MoveId;
  from: LifecycleState;
  to: LifecycleState;
  occurredOn: string;
  recordedAt: Date;
  recordedByName: string | null;
}

/** The object's state after a move, with the day of commissioning or termination when the move set one. */
export async function setObjectState(
  trx: Transaction<Database>,
  objectId: string,
  values: { state: LifecycleState; commissionedOn?: string; terminatedOn?: string; actorId: string; now: Date },
): Promise<void> {
  await trx
    .updateTable('objects')
    .set({
      stage: values.state.stage,
      step: values.state.step,
      ...(values.commissionedOn !== undefined ? { commissioned_on: values.commissionedOn } : {}),
      ...(values.terminatedOn !== undefined ? { terminated_on: values.terminatedOn } : {}),
      updated_at: values.now,
      updated_by: values.actorId,
    })
    .where('id', '=', objectId)
    .execute();
}

/** A lifecycle move as it happened in reality; its id. */
export async function insertLifecycleEvent(
  trx: Transaction<Database>,
  values: { objectId: string; move: MoveId; from: LifecycleState; to: LifecycleState; occurredOn: string; actorId: string; now: Date },
): Promise<string> {
  const event = await trx
    .insertInto('lifecycle_events')
    .values({
      object_id: values.objectId,
      move: values.move,
      from_stage: values.from.stage,
      from_step: values.from.step,
      to_stage: values.to.stage,
      to_step: values.to.step,
      occurred_on: values.occurredOn,
      recorded_at: values.now,
      recorded_by: values.actorId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return event.id;
}

/** The object's moves, in the order they happened, for checkMove. */
export async function recordedMoves(db: Executor, objectId: string): Promise<RecordedMove[]> {
  const rows = await db
    .selectFrom('lifecycle_events')
    .select(['move', 'occurred_on'])
    .where('object_id', '=', objectId)
    .orderBy('occurred_on')
    .orderBy('recorded_at')
    .execute();
  return rows.filter((row) => isMoveId(row.move)).map((row) => ({ move: row.move as MoveId, occurredOn: row.occurred_on }));
}

/** The object's moves with who recorded them, oldest first: the page's timeline. */
export async function lifecycleTimeline(db: Executor, objectId: string): Promise<TimelineEntry[]> {
  const events = await db
    .selectFrom('lifecycle_events as e')
    .leftJoin('users as u', 'u.id', 'e.recorded_by')
    .select(['e.id', 'e.move', 'e.from_stage', 'e.from_step', 'e.to_stage', 'e.to_step', 'e.occurred_on', 'e.recorded_at', 'u.surname', 'u.given_name', 'u.patronymic'])
    .where('e.object_id', '=', objectId)
    .orderBy('e.occurred_on')
    .orderBy('e.recorded_at')
    .execute();
  return events.map((event) => ({
    id: event.id,
    move: event.move as MoveId,
    from: stateOf({ stage: event.from_stage, step: event.from_step }),
    to: stateOf({ stage: event.to_stage, step: event.to_step }),
    occurredOn: event.occurred_on,
    recordedAt: event.recorded_at,
    recordedByName: personName(event),
  }));
}

// ---------------------------------------------------------------------------------------------
// Update duties (003 §9)

const dutyColumns = [
  'd.id',
  'd.object_id',
  'd.source',
  'd.description',
  'd.changed_on',
  'd.due_on',
  'd.opened_at',
  'd.fulfilled_at',
  'd.fulfilled_version',
  'o.name_kk as object_name_kk',
  'o.name_ru as object_name_ru',
  'g.id as organization_id',
  'g.bin as organization_bin',
  'g.name_kk as organization_name_kk',
  'g.name_ru as organization_name_ru',
  'g.name_en as organization_name_en',
  'ou.surname as opened_surname',
  'ou.given_name as opened_given_name',
  'ou.patronymic as opened_patronymic',
  'fu.surname as fulfilled_surname',
  'fu.given_name as fulfilled_given_name',
  'fu.patronymic as fulfilled_patronymic',
] as const;

function dutyQuery(db: Executor) {
  return db
    .selectFrom('update_duties as d')
    .innerJoin('objects as o', 'o.id', 'd.object_id')
    .innerJoin('organizations as g', 'g.id', 'd.organization_id')
    .leftJoin('users as ou', 'ou.id', 'd.opened_by')
    .leftJoin('users as fu', 'fu.id', 'd.fulfilled_by')
    .select(dutyColumns);
}

type DutyRow = Awaited<ReturnType<ReturnType<typeof dutyQuery>['execute']>>[number];

function toDutyRecord(row: DutyRow): DutyRecord {
  return {
    id: row.id,
    objectId: row.object_id,
    objectName: { kk: row.object_name_kk, ru: row.object_name_ru },
    organization: { id: row.organization_id, bin: row.organization_bin, nameKk: row.organization_name_kk, nameRu: row.organization_name_ru, nameEn: row.organization_name_en },
    source: row.source,
    description: row.description,
    changedOn: row.changed_on,
    dueOn: row.due_on,
    openedAt: row.opened_at,
    openedByName: personName({ surname: row.opened_surname, given_name: row.opened_given_name, patronymic: row.opened_patronymic }),
    fulfilledAt: row.fulfilled_at,
    fulfilledByName: personName({ surname: row.fulfilled_surname, given_name: row.fulfilled_given_name, patronymic: row.fulfilled_patronymic }),
    fulfilledVersion: row.fulfilled_version,
  };
}

/** Every duty of the object, by due day. */
export async function listObjectDuties(db: Executor, objectId: string): Promise<DutyRecord[]> {
  const rows = await dutyQuery(db).where('d.object_id', '=', objectId).orderBy('d.due_on').orderBy('d.opened_at').execute();
  return rows.map(toDutyRecord);
}

/**
 * A keyset page of duties ordered by (due day, id), ascending or descending, after `after` when
 * given: one organization's or everyone's (null); open ones, overdue ones (open past their due day,
 * `today` in Asia/Almaty), fulfilled ones or all.
 */
export async function listDutyRecords(
  db: Executor,
  options: {
    organizationId: string | null;
    status: DutyStatusFilter;
    today: string;
    ascending: boolean;
    after: { dueOn: string; id: string } | null;
    limit: number;
  },
): Promise<DutyRecord[]> {
  let query = dutyQuery(db);
  if (options.organizationId !== null) query = query.where('d.organization_id', '=', options.organizationId);
  if (options.status === 'open') query = query.where('d.fulfilled_at', 'is', null);
  if (options.status === 'overdue') query = query.where('d.fulfilled_at', 'is', null).where('d.due_on', '<', options.today);
  if (options.status === 'fulfilled') query = query.where('d.fulfilled_at', 'is not', null);
  if (options.after) {
    query = query.where(sql<boolean>`(d.due_on, d.id) ${sql.raw(options.ascending ? '>' : '<')} (${options.after.dueOn}::date, ${options.after.id}::uuid)`);
  }
  const direction = options.ascending ? 'asc' : 'desc';
  const rows = await query.orderBy('d.due_on', direction).orderBy('d.id', direction).limit(options.limit).execute();
  return rows.map(toDutyRecord);
}

/** How many duties are open, and how many of them past their due day: one organization's or everyone's (null). */
export async function countOpenDuties(db: Executor, options: { organizationId: string | null; today: string }): Promise<{ open: number; overdue: number }> {
  let counts = db
    .selectFrom('update_duties')
    .select([sql<number>`count(*)::int`.as('open'), sql<number>`(count(*) FILTER (WHERE due_on < ${options.today}::date))::int`.as('overdue')])
    .where('fulfilled_at', 'is', null);
  if (options.organizationId !== null) counts = counts.where('organization_id', '=', options.organizationId);
  return counts.executeTakeFirstOrThrow();
}

/**
 * One update-duty row (003 §9). A save records its own duty already fulfilled (a record of
 * timeliness); a lifecycle move or a reviewer report opens one that the next save fulfils.
 */
export async function insertDuty(
  trx: Transaction<Database>,
  values: {
    objectId: string;
    organizationId: string;
    source: DutySource;
    description: string | null;
    changedOn: string;
    dueOn: string;
    actorId: string;
    now: Date;
    /** The version whose save fulfils the duty at once; absent for an open duty. */
    fulfilledVersion?: number;
  },
): Promise<string> {
  const fulfilled = values.fulfilledVersion !== undefined;
  const row = await trx
    .insertInto('update_duties')
    .values({
      object_id: values.objectId,
      organization_id: values.organizationId,
      source: values.source,
      description: values.description,
      changed_on: values.changedOn,
      due_on: values.dueOn,
      opened_at: values.now,
      opened_by: values.actorId,
      fulfilled_at: fulfilled ? values.now : null,
      fulfilled_by: fulfilled ? values.actorId : null,
      fulfilled_version: values.fulfilledVersion ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Every open duty of the object fulfilled by the save of `version`; those duties. */
export async function fulfilOpenDuties(
  trx: Transaction<Database>,
  objectId: string,
  values: { version: number; actorId: string; now: Date },
): Promise<Array<{ id: string; source: DutySource; dueOn: string }>> {
  const fulfilled = await trx
    .updateTable('update_duties')
    .set({ fulfilled_at: values.now, fulfilled_by: values.actorId, fulfilled_version: values.version })
    .where('object_id', '=', objectId)
    .where('fulfilled_at', 'is', null)
    .returning(['id', 'source', 'due_on'])
    .execute();
  return fulfilled.map((duty) => ({ id: duty.id, source: duty.source, dueOn: duty.due_on }));
}

// ---------------------------------------------------------------------------------------------
// The object's documents (read only)

/** The kinds whose some version has both files accepted, uploaded on or after `since` (Almaty day) or ever. */
export async function acceptedDocumentKinds(db: Executor, objectId: string, since: string | null): Promise<ReadonlySet<DocumentKind>> {
  const { rows } = await sql<{ kind: string; uploaded_at: Date }>`
    SELECT v.kind, v.uploaded_at FROM document_versions v
    WHERE v.object_id = ${objectId}
      AND (SELECT count(*) FILTER (WHERE f.status = 'accepted') FROM document_files f WHERE f.document_version_id = v.id) = 2`.execute(db);
  return new Set(rows.filter((row) => since === null || toAlmatyDate(row.uploaded_at) >= since).flatMap((row) => (isDocumentKind(row.kind) ? [row.kind] : [])));
}

/** Per kind, the state of its latest version: what the object page shows next to each required kind. */
export async function latestDocumentStates(db: Executor, objectId: string): Promise<Map<DocumentKind, DocumentVersionStatus>> {
  const { rows } = await sql<{ kind: string; statuses: DocumentFileStatus[] }>`
    SELECT DISTINCT ON (v.kind) v.kind, array(SELECT f.status::text FROM document_files f WHERE f.document_version_id = v.id) AS statuses
    FROM document_versions v
    WHERE v.object_id = ${objectId}
    ORDER BY v.kind, v.version DESC`.execute(db);
  const states = new Map<DocumentKind, DocumentVersionStatus>();
  for (const row of rows) if (isDocumentKind(row.kind)) states.set(row.kind, pairStatus(row.statuses.map((status) => ({ status }))));
  return states;
}

/** Whether the organization already has an object of this Russian name (the demo data is loaded once). */
export async function objectNamedExists(db: Executor, organizationId: string, nameRu: string): Promise<boolean> {
  const row = await db.selectFrom('objects').select('id').where('organization_id', '=', organizationId).where('name_ru', '=', nameRu).executeTakeFirst();
  return row !== undefined;
}
