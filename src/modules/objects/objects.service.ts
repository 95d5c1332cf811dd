/**
 * The registry's objects (issue "The registry: object passports, lifecycle stages and the
 * 10-working-day update duty"; domain.md Workflow B and D).
 *
 * Staff record their organization's informatization objects: a passport (003 §5, Annex 1, checked
 * by schemas/object-passport.schema.json through validatePassport), kept whole in a new version on
 * every save; the lifecycle moves of 004 §9–19, checked by the state machine in lifecycle.ts; and
 * the update duty of 003 §9 — the information is brought up to date on the portal no later than
 * 10 working days after it changed in reality or its absence was detected.
 *
 * How the update duty is recorded (update_duties):
 *   - every save records when the information changed (informationChangedOn) and a duty of source
 *     `information_changed` due 10 working days later, fulfilled by the save itself: a record of
 *     timeliness (late when saved after its due day);
 *   - a lifecycle move opens a `lifecycle_move` duty (bring the information and documentation up to
 *     date for the new stage), its description is the move's id;
 *   - a reviewer's report that information is missing or out of date opens a `reviewer_report` duty;
 *   - any save of the passport fulfils every open duty of the object (fulfilled_version): saving is
 *     how the owner brings the information up to date, and a save without changes confirms that the
 *     information on the portal is current.
 * A duty is overdue while open after its due day (Asia/Almaty), as the registry list counts it.
 *
 * Every use case checks its permission first, then writes its change and its audit event in one
 * transaction, re-checking the object's state under a row lock.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { type AuthUser, can, requirePermission, requireSameOrganization, personName } from '../../access/permissions.ts';
import { loadCalendarData } from '../calendar/calendar.service.ts';
import {
  addWorkingDays,
  type CalendarData,
  CalendarYearMissingError,
  type DeadlineStatus,
  deadlineStatus,
  endOfAlmatyDay,
  toAlmatyDate,
} from '../calendar/working-days.ts';
import { acceptedDocumentKinds, latestDocumentStates } from './document-states.ts';
import { type DocumentKind, REQUIRED_DOCUMENTS_BY_STATE } from './document-kinds.ts';
import { type ObjectPageStamp, readObjectPageStamp } from '../../web/page-stamp.ts';
import {
  availableMoves,
  checkMove,
  type FundingGap,
  INITIAL_STATE,
  isIsoDate,
  isMoveId,
  isReadOnly,
  lastCommissionedOn,
  type LifecycleStage,
  type LifecycleState,
  type LifecycleStep,
  type MoveId,
  type MoveRefusal,
  operationFundingCheck,
  stateOf,
  type RecordedMove,
  stateKey,
  warrantyEnd,
} from './lifecycle.ts';
import { diffPassports, type ObjectPassport, type PassportChange, validatePassport } from './passport.ts';
import { findObjectRow, type ObjectRow } from './objects.repository.ts';

/** 003 §9: the portal is updated no later than 10 working days after the information changed. */
export const UPDATE_DUTY_WORKING_DAYS = 10;
export const REPORT_DESCRIPTION_MAX = 2000;
export const DUTY_PAGE_SIZE = 50;
export const MAX_DUTY_PAGE_SIZE = 200;

export const DUTY_SOURCES = ['information_changed', 'lifecycle_move', 'reviewer_report'] as const;
export type DutySource = (typeof DUTY_SOURCES)[number];
export const DUTY_STATUS_FILTERS = ['open', 'overdue', 'fulfilled', 'all'] as const;
export type DutyStatusFilter = (typeof DUTY_STATUS_FILTERS)[number];

export interface ServiceContext {
  requestId?: string;
  /** The clock; tests set it. */
  now?: Date;
}

type Executor = Kysely<Database> | Transaction<Database>;

// ---------------------------------------------------------------------------------------------
// Inputs and results

export interface ObjectInput {
  /** The passport as submitted; owner_organization_id is always set from the acting staff member. */
  passport: unknown;
  /** The day the information changed in reality, 'YYYY-MM-DD' (003 §9). */
  informationChangedOn: string;
}

export interface ObjectUpdateInput extends ObjectInput {
  /** The version the change was made on; a newer one saved meanwhile is a CONFLICT. */
  expectedVersion: number;
}

export interface MoveInput {
  move: string;
  /** The day the move happened in reality, 'YYYY-MM-DD'. */
  occurredOn: string;
}

export interface OutdatedReportInput {
  description: string;
  /** The day the missing or outdated information was detected, 'YYYY-MM-DD'. */
  detectedOn: string;
}

export interface DutyFilters {
  organizationId?: string | undefined;
  status: DutyStatusFilter;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface SavedObject {
  id: string;
  version: number;
  /** The due day of the information_changed duty this save fulfilled. */
  dueOn: string;
  /** Whether the save came within the 10 working days. */
  onTime: boolean;
}

export interface UpdatedObject extends SavedObject {
  changes: PassportChange[];
  /** Open duties the save fulfilled. */
  fulfilledDutyIds: string[];
}

export interface RecordedMoveResult {
  state: LifecycleState;
  dutyId: string;
  dueOn: string;
}

export interface OrganizationRef {
  id: string;
  bin: string;
  nameKk: string;
  nameRu: string;
  nameEn: string | null;
}

export interface DutyView {
  id: string;
  objectId: string;
  objectName: { kk: string; ru: string };
  organization: OrganizationRef;
  source: DutySource;
  /** For reviewer_report: the reviewer's text; for lifecycle_move: the move's id. */
  description: string | null;
  changedOn: string;
  dueOn: string;
  openedAt: Date;
  openedByName: string | null;
  fulfilledAt: Date | null;
  fulfilledByName: string | null;
  fulfilledVersion: number | null;
  status: 'open' | 'overdue' | 'fulfilled';
  /** Fulfilled on or before its due day; null while open. */
  onTime: boolean | null;
  /** Working days left or overdue; null once fulfilled. */
  deadline: DeadlineStatus | null;
}

export interface TimelineEntry {
  id: string;
  move: MoveId;
  from: LifecycleState;
  to: LifecycleState;
  occurredOn: string;
  recordedAt: Date;
  recordedByName: string | null;
}

export interface RequiredDocument {
  kind: DocumentKind;
  /** accepted: some version has both files accepted; otherwise the state of the latest upload, or not placed. */
  status: 'not_placed' | 'accepted' | 'checking' | 'rejected';
}

export interface ObjectDetail {
  id: string;
  organization: OrganizationRef;
  version: number;
  passport: ObjectPassport;
  state: LifecycleState;
  readOnly: boolean;
  commissionedOn: string | null;
  terminatedOn: string | null;
  reviewStatus: string;
  accountCode: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Lifecycle moves, oldest first. */
  timeline: TimelineEntry[];
  /** The moves defined from the current state (documents and dates are checked when recorded). */
  availableMoves: MoveId[];
  duties: { open: DutyView[]; closed: DutyView[] };
  /** What the object must have on the portal in its current state (REQUIRED_DOCUMENTS_BY_STATE). */
  requiredDocuments: RequiredDocument[];
  /** 004 §16.9: 12 months from the latest commissioning; null before any. */
  warranty: { commissionedOn: string; endsOn: string; inForce: boolean } | null;
  /** 004 §18: whether operation-stage spending may be supported, and exactly what is missing. */
  funding: { supported: boolean; missing: FundingGap[] };
  /** Organizations the passport names (owner, possessor), by id. */
  organizations: Record<string, OrganizationRef>;
  /** Registered objects the passport integrates with, by id, where the actor may see them. */
  integratedObjects: Record<string, { kk: string; ru: string }>;
}

export interface VersionSummary {
  version: number;
  stage: LifecycleStage;
  step: LifecycleStep | null;
  informationChangedOn: string;
  changedAt: Date;
  changedByName: string | null;
  /** Number of values changed from the previous version (all of them for version 1). */
  changeCount: number;
}

export interface VersionComparison {
  objectId: string;
  objectName: { kk: string; ru: string };
  from: VersionSummary;
  to: VersionSummary;
  changes: PassportChange[];
  organizations: Record<string, OrganizationRef>;
}

export interface DutyPage {
  items: DutyView[];
  nextCursor: string | null;
}

export interface DutiesSummary {
  scope: 'organization' | 'all';
  open: number;
  overdue: number;
  /** The open duties due soonest (overdue first). */
  nearest: DutyView[];
}

// ---------------------------------------------------------------------------------------------
// Helpers

function validationFailed(fields: FieldError[], message = 'invalid input'): AppError {
  return new AppError('VALIDATION_FAILED', message, { fields });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Staff act for their organization; an account without one cannot own objects. */
function ownOrganization(actor: AuthUser): string {
  if (!actor.organizationId) throw new AppError('FORBIDDEN', 'staff without an organization');
  return actor.organizationId;
}

/**
 * The day the information changed (or a move happened, or an absence was detected): a real day,
 * not after today, in a year the working-day calendar knows; with the due day of the duty.
 */
function changeDay(value: unknown, field: string, today: string, calendar: CalendarData): { ok: true; day: string; dueOn: string } | { ok: false; error: FieldError } {
  if (typeof value !== 'string' || value.trim() === '') return { ok: false, error: { field, rule: 'required' } };
  const day = value.trim();
  if (!isIsoDate(day)) return { ok: false, error: { field, rule: 'date_invalid' } };
  if (day > today) return { ok: false, error: { field, rule: 'date_in_future', params: { limit: today } } };
  const dueOn = dueDay(day, calendar);
  if (typeof dueOn !== 'string') return { ok: false, error: { field, rule: 'calendar_year_missing', params: { year: dueOn.year } } };
  return { ok: true, day, dueOn };
}

function dueDay(day: string, calendar: CalendarData): string | { year: number } {
  try {
    return addWorkingDays(day, UPDATE_DUTY_WORKING_DAYS, calendar);
  } catch (error) {
    if (error instanceof CalendarYearMissingError) return { year: error.year };
    throw error;
  }
}

function prefixed(prefix: string, errors: FieldError[]): FieldError[] {
  return errors.map((error) => ({ ...error, field: error.field === '' ? prefix : `${prefix}.${error.field}` }));
}

/**
 * The passport checked against the schema and against the registry: the possessor must be a
 * registered organization, integrated objects registered objects other than this one. The owner
 * is the given organization, whatever was submitted. Errors name fields under "passport.".
 */
async function checkPassport(
  db: Executor,
  raw: unknown,
  ownerOrganizationId: string,
  objectId: string | null,
): Promise<{ ok: true; passport: ObjectPassport } | { ok: false; errors: FieldError[] }> {
  const submitted = isRecord(raw) ? { ...raw, owner_organization_id: ownerOrganizationId } : raw;
  const result = validatePassport(submitted);
  const errors = result.ok ? [] : [...result.errors];

  const possessor = isRecord(submitted) && isRecord(submitted.possessor) ? submitted.possessor.organization_id : undefined;
  if (typeof possessor === 'string' && UUID.test(possessor)) {
    const found = await db.selectFrom('organizations').select('id').where('id', '=', possessor).executeTakeFirst();
    if (!found) errors.push({ field: 'possessor.organization_id', rule: 'unknown_organization' });
  }
  const integrations = isRecord(submitted) && Array.isArray(submitted.integrations) ? submitted.integrations : [];
  const referenced = integrations.flatMap((item, index) =>
    isRecord(item) && item.type === 'registered_object' && typeof item.object_id === 'string' && UUID.test(item.object_id) ? [{ index, id: item.object_id.toLowerCase() }] : [],
  );
  if (referenced.length > 0) {
    const rows = await db.selectFrom('objects').select('id').where('id', 'in', [...new Set(referenced.map((r) => r.id))]).execute();
    const known = new Set(rows.map((row) => row.id));
    for (const { index, id } of referenced) {
      if (objectId !== null && id === objectId) errors.push({ field: `integrations.${index}.object_id`, rule: 'self_reference' });
      else if (!known.has(id)) errors.push({ field: `integrations.${index}.object_id`, rule: 'unknown_object' });
    }
  }
  if (errors.length > 0 || !result.ok) return { ok: false, errors: prefixed('passport', errors) };
  return { ok: true, passport: result.passport };
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

/** A change as the audit log keeps it: an absent value is null. */
function auditChanges(changes: PassportChange[]): { before: Record<string, unknown>; after: Record<string, unknown> } {
  return {
    before: Object.fromEntries(changes.map((change) => [change.path, change.before ?? null])),
    after: Object.fromEntries(changes.map((change) => [change.path, change.after ?? null])),
  };
}

/** The object's row as `actor` may see it: NOT_FOUND for a malformed id, no object, or another organization's (staff). */
export async function loadVisibleObject(db: Executor, actor: AuthUser, id: string, options: { lock?: boolean } = {}): Promise<ObjectRow> {
  if (!UUID.test(id)) throw new AppError('NOT_FOUND');
  const row = await findObjectRow(db, id, options);
  if (!row) throw new AppError('NOT_FOUND');
  requireSameOrganization(actor, row.organization_id);
  return row;
}

async function recordedMoves(db: Executor, objectId: string): Promise<Array<RecordedMove & { to_stage: string }>> {
  const rows = await db
    .selectFrom('lifecycle_events')
    .select(['move', 'occurred_on', 'to_stage'])
    .where('object_id', '=', objectId)
    .orderBy('occurred_on')
    .orderBy('recorded_at')
    .execute();
  return rows.filter((row) => isMoveId(row.move)).map((row) => ({ move: row.move as MoveId, occurredOn: row.occurred_on, to_stage: row.to_stage }));
}

/**
 * The day the current stage began, for the documents a move needs (lifecycle.ts MoveContext): a
 * development produces its own acts, so only documents placed since it started count; in creation
 * every document of the object counts (null).
 */
function stageStartDay(state: LifecycleState, moves: ReadonlyArray<RecordedMove>): string | null {
  if (state.stage !== 'development') return null;
  const starts = moves.filter((move) => move.move === 'start_development').map((move) => move.occurredOn);
  return starts.length === 0 ? null : starts.reduce((latest, day) => (day > latest ? day : latest));
}

// ---------------------------------------------------------------------------------------------
// Duties

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

function toDutyView(row: DutyRow, now: Date, calendar: CalendarData): DutyView {
  const today = toAlmatyDate(now);
  const fulfilled = row.fulfilled_at !== null;
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
    status: fulfilled ? 'fulfilled' : row.due_on < today ? 'overdue' : 'open',
    onTime: row.fulfilled_at === null ? null : toAlmatyDate(row.fulfilled_at) <= row.due_on,
    deadline: fulfilled ? null : deadlineStatus(now, endOfAlmatyDay(row.due_on), calendar),
  };
}

/**
 * One update-duty row (003 §9). A save records its own duty already fulfilled (a record of
 * timeliness); a lifecycle move or a reviewer report opens one that the next save fulfils.
 */
async function insertDuty(
  trx: Transaction<Database>,
  values: {
    objectId: string;
    organizationId: string;
    source: 'information_changed' | 'lifecycle_move' | 'reviewer_report';
    description: string | null;
    changedOn: string;
    dueOn: string;
    actor: AuthUser;
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
      opened_by: values.actor.id,
      fulfilled_at: fulfilled ? values.now : null,
      fulfilled_by: fulfilled ? values.actor.id : null,
      fulfilled_version: values.fulfilledVersion ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The information_changed duty of a save: due 10 working days after the change, fulfilled by the save. */
function recordSaveDuty(
  trx: Transaction<Database>,
  values: { objectId: string; organizationId: string; changedOn: string; dueOn: string; version: number; actor: AuthUser; now: Date },
): Promise<string> {
  return insertDuty(trx, { ...values, source: 'information_changed', description: null, fulfilledVersion: values.version });
}

// ---------------------------------------------------------------------------------------------
// Creating

interface CheckedObject {
  passport: ObjectPassport;
  changedOn: string;
  dueOn: string;
}

async function checkObjectInput(
  db: Executor,
  input: unknown,
  context: { ownerOrganizationId: string; objectId: string | null; today: string; calendar: CalendarData },
): Promise<{ ok: true; value: CheckedObject } | { ok: false; errors: FieldError[] }> {
  const source = isRecord(input) ? input : {};
  const passport = await checkPassport(db, source.passport, context.ownerOrganizationId, context.objectId);
  const day = changeDay(source.informationChangedOn, 'informationChangedOn', context.today, context.calendar);
  const errors = [...(passport.ok ? [] : passport.errors), ...(day.ok ? [] : [day.error])];
  if (!passport.ok || !day.ok) return { ok: false, errors };
  return { ok: true, value: { passport: passport.passport, changedOn: day.day, dueOn: day.dueOn } };
}

async function insertObject(trx: Transaction<Database>, actor: AuthUser, organizationId: string, checked: CheckedObject, now: Date, requestId: string | undefined): Promise<SavedObject> {
  const state = INITIAL_STATE;
  const object = await trx
    .insertInto('objects')
    .values({
      ...passportColumns(checked.passport),
      organization_id: organizationId,
      version: 1,
      stage: state.stage,
      step: state.step,
      commissioned_on: null,
      terminated_on: null,
      account_code: null,
      created_at: now,
      created_by: actor.id,
      updated_at: now,
      updated_by: actor.id,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('object_versions')
    .values({
      object_id: object.id,
      version: 1,
      passport: JSON.stringify(checked.passport),
      stage: state.stage,
      step: state.step,
      information_changed_on: checked.changedOn,
      changed_at: now,
      changed_by: actor.id,
      note: null,
    })
    .execute();
  const dutyId = await recordSaveDuty(trx, { objectId: object.id, organizationId, changedOn: checked.changedOn, dueOn: checked.dueOn, version: 1, actor, now });
  const onTime = toAlmatyDate(now) <= checked.dueOn;
  await recordAuditEvent(trx, {
    actor: userActor(actor),
    entityType: 'object',
    entityId: object.id,
    action: 'object.created',
    after: {
      version: 1,
      stage: state.stage,
      step: state.step,
      passport: checked.passport,
      informationChangedOn: checked.changedOn,
      duty: { id: dutyId, source: 'information_changed', changedOn: checked.changedOn, dueOn: checked.dueOn, onTime },
    },
    requestId,
  });
  return { id: object.id, version: 1, dueOn: checked.dueOn, onTime };
}

/**
 * Registers an object for the acting staff member's organization: version 1 of its passport, at
 * the start of creation (004 §9: development work), with the record of when its information
 * changed and whether it was placed within 10 working days. Staff only (objects.edit); the owner is
 * always the actor's organization. Invalid input: VALIDATION_FAILED with fields "passport.<path>"
 * and "informationChangedOn".
 */
export async function createObject(db: Kysely<Database>, actor: AuthUser | null | undefined, input: ObjectInput, ctx: ServiceContext = {}): Promise<SavedObject> {
  requirePermission(actor, 'objects.edit');
  const organizationId = ownOrganization(actor);
  const now = ctx.now ?? new Date();
  const calendar = await loadCalendarData(db);
  const checked = await checkObjectInput(db, input, { ownerOrganizationId: organizationId, objectId: null, today: toAlmatyDate(now), calendar });
  if (!checked.ok) throw validationFailed(checked.errors, 'object passport rejected');
  return db.transaction().execute((trx) => insertObject(trx, actor, organizationId, checked.value, now, ctx.requestId));
}

/**
 * createObject for many objects at once, all or nothing (an import): every item is checked first
 * and, when any is invalid, VALIDATION_FAILED lists the errors of each, by item index
 * (details.items: [{ index, fields }], and details.fields with fields named "<index>.<field>");
 * otherwise all are registered in one transaction, in order.
 */
export async function createObjects(db: Kysely<Database>, actor: AuthUser | null | undefined, items: ReadonlyArray<ObjectInput>, ctx: ServiceContext = {}): Promise<SavedObject[]> {
  requirePermission(actor, 'objects.edit');
  const organizationId = ownOrganization(actor);
  const now = ctx.now ?? new Date();
  const calendar = await loadCalendarData(db);
  const context = { ownerOrganizationId: organizationId, objectId: null, today: toAlmatyDate(now), calendar };
  const checked: CheckedObject[] = [];
  const failed: Array<{ index: number; fields: FieldError[] }> = [];
  for (const [index, item] of items.entries()) {
    const result = await checkObjectInput(db, item, context);
    if (result.ok) checked.push(result.value);
    else failed.push({ index, fields: result.errors });
  }
  if (failed.length > 0) {
    throw new AppError('VALIDATION_FAILED', 'objects rejected', {
      items: failed,
      fields: failed.flatMap(({ index, fields }) => prefixed(String(index), fields)),
    });
  }
  return db.transaction().execute(async (trx) => {
    const saved: SavedObject[] = [];
    for (const item of checked) saved.push(await insertObject(trx, actor, organizationId, item, now, ctx.requestId));
    return saved;
  });
}

/**
 * Every error createObject (or, with objectId, updateObject) would report for the input, without
 * saving anything: for a form that has errors of its own to show together with these.
 */
export async function findObjectInputErrors(
  db: Kysely<Database>,
  actor: AuthUser | null | undefined,
  input: ObjectInput,
  options: { objectId?: string; now?: Date } = {},
): Promise<FieldError[]> {
  requirePermission(actor, 'objects.edit');
  const ownerOrganizationId = options.objectId ? (await loadVisibleObject(db, actor, options.objectId)).organization_id : ownOrganization(actor);
  const now = options.now ?? new Date();
  const calendar = await loadCalendarData(db);
  const checked = await checkObjectInput(db, input, { ownerOrganizationId, objectId: options.objectId ?? null, today: toAlmatyDate(now), calendar });
  return checked.ok ? [] : checked.errors;
}

// ---------------------------------------------------------------------------------------------
// Updating

/**
 * Saves a new version of the passport. Refused: another organization's object (NOT_FOUND for
 * staff), a terminated object (CONFLICT, details.reason "object_terminated": 004 §19, read-only),
 * a version saved by someone else since expectedVersion (CONFLICT, details.reason "stale_version",
 * details.currentVersion). The save fulfils every open duty of the object and records when the
 * information changed with its due day; the audit event carries the changed values before and after.
 */
export async function updateObject(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string, input: ObjectUpdateInput, ctx: ServiceContext = {}): Promise<UpdatedObject> {
  requirePermission(actor, 'objects.edit');
  ownOrganization(actor);
  const existing = await loadVisibleObject(db, actor, id);
  const now = ctx.now ?? new Date();
  const calendar = await loadCalendarData(db);
  const checked = await checkObjectInput(db, input, { ownerOrganizationId: existing.organization_id, objectId: existing.id, today: toAlmatyDate(now), calendar });
  const expectedVersion = input.expectedVersion;
  const versionError: FieldError[] = Number.isInteger(expectedVersion) && expectedVersion >= 1 ? [] : [{ field: 'expectedVersion', rule: 'invalid' }];
  if (!checked.ok || versionError.length > 0) throw validationFailed([...(checked.ok ? [] : checked.errors), ...versionError], 'object passport rejected');
  const { passport, changedOn, dueOn } = checked.value;

  return db.transaction().execute(async (trx) => {
    const row = await loadVisibleObject(trx, actor, id, { lock: true });
    if (isReadOnly(stateOf(row))) throw new AppError('CONFLICT', 'the object was terminated', { reason: 'object_terminated' });
    if (row.version !== expectedVersion) {
      throw new AppError('CONFLICT', 'the object was changed meanwhile', { reason: 'stale_version', currentVersion: row.version });
    }
    const version = row.version + 1;
    const changes = diffPassports(row.passport, passport);
    await trx
      .updateTable('objects')
      .set({ ...passportColumns(passport), version, updated_at: now, updated_by: actor.id })
      .where('id', '=', row.id)
      .execute();
    await trx
      .insertInto('object_versions')
      .values({
        object_id: row.id,
        version,
        passport: JSON.stringify(passport),
        stage: row.stage,
        step: row.step,
        information_changed_on: changedOn,
        changed_at: now,
        changed_by: actor.id,
        note: null,
      })
      .execute();
    const fulfilled = await trx
      .updateTable('update_duties')
      .set({ fulfilled_at: now, fulfilled_by: actor.id, fulfilled_version: version })
      .where('object_id', '=', row.id)
      .where('fulfilled_at', 'is', null)
      .returning(['id', 'source', 'due_on'])
      .execute();
    const dutyId = await recordSaveDuty(trx, { objectId: row.id, organizationId: row.organization_id, changedOn, dueOn, version, actor, now });
    const today = toAlmatyDate(now);
    const onTime = today <= dueOn;
    const diff = auditChanges(changes);
    await recordAuditEvent(trx, {
      actor: userActor(actor),
      entityType: 'object',
      entityId: row.id,
      action: 'object.updated',
      before: { version: row.version, values: diff.before },
      after: {
        version,
        values: diff.after,
        informationChangedOn: changedOn,
        duty: { id: dutyId, source: 'information_changed', changedOn, dueOn, onTime },
        fulfilledDuties: fulfilled.map((duty) => ({ id: duty.id, source: duty.source, dueOn: duty.due_on, onTime: today <= duty.due_on })),
      },
      requestId: ctx.requestId,
    });
    return { id: row.id, version, dueOn, onTime, changes, fulfilledDutyIds: fulfilled.map((duty) => duty.id) };
  });
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

function refusalToFieldError(refusal: MoveRefusal): FieldError {
  switch (refusal.code) {
    case 'document_missing':
      return { field: 'move', rule: 'document_missing', params: { documentKind: refusal.documentKind ?? '' } };
    case 'date_invalid':
      return { field: 'occurredOn', rule: 'date_invalid' };
    case 'date_in_future':
    case 'date_before_previous_move':
      return { field: 'occurredOn', rule: refusal.code, params: { limit: refusal.limit ?? '' } };
    default:
      return { field: 'move', rule: refusal.code };
  }
}

/**
 * Records a lifecycle move (004 §9–19) as it happened in reality, checked by checkMove against the
 * documents accepted in the current stage and the earlier moves. Refusals are VALIDATION_FAILED:
 * field "move" (rules document_missing with params.documentKind — one error per missing kind —,
 * not_commissioned, move_not_available, object_terminated) and field "occurredOn" (required,
 * date_invalid, date_in_future, date_before_previous_move with params.limit, calendar_year_missing).
 * Opens a lifecycle_move duty: the information and documentation are brought up to date for the
 * new stage within 10 working days of the move.
 */
export async function recordLifecycleMove(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string, input: MoveInput, ctx: ServiceContext = {}): Promise<RecordedMoveResult> {
  requirePermission(actor, 'objects.edit');
  ownOrganization(actor);
  await loadVisibleObject(db, actor, id);
  const now = ctx.now ?? new Date();
  const today = toAlmatyDate(now);
  const calendar = await loadCalendarData(db);
  const move = typeof input.move === 'string' ? input.move.trim() : '';
  if (!isMoveId(move)) throw validationFailed([{ field: 'move', rule: move === '' ? 'required' : 'invalid' }], 'unknown move');
  const occurredOn = typeof input.occurredOn === 'string' ? input.occurredOn.trim() : '';
  if (occurredOn === '') throw validationFailed([{ field: 'occurredOn', rule: 'required' }], 'move refused');

  return db.transaction().execute(async (trx) => {
    const row = await loadVisibleObject(trx, actor, id, { lock: true });
    const state = stateOf(row);
    const previousMoves = await recordedMoves(trx, row.id);
    const accepted = await acceptedDocumentKinds(trx, row.id, stageStartDay(state, previousMoves));
    const check = checkMove(state, move, { acceptedDocumentKinds: accepted, occurredOn, today, previousMoves });
    const errors = check.ok ? [] : check.reasons.map(refusalToFieldError);
    const due = isIsoDate(occurredOn) ? dueDay(occurredOn, calendar) : null;
    if (due !== null && typeof due !== 'string') errors.push({ field: 'occurredOn', rule: 'calendar_year_missing', params: { year: due.year } });
    if (!check.ok || typeof due !== 'string') throw validationFailed(errors, 'move refused');
    const next = check.next;

    await trx
      .updateTable('objects')
      .set({
        stage: next.stage,
        step: next.step,
        ...(move === 'commission' ? { commissioned_on: occurredOn } : {}),
        ...(move === 'terminate' ? { terminated_on: occurredOn } : {}),
        updated_at: now,
        updated_by: actor.id,
      })
      .where('id', '=', row.id)
      .execute();
    const event = await trx
      .insertInto('lifecycle_events')
      .values({
        object_id: row.id,
        move,
        from_stage: state.stage,
        from_step: state.step,
        to_stage: next.stage,
        to_step: next.step,
        occurred_on: occurredOn,
        recorded_at: now,
        recorded_by: actor.id,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const duty = { id: await insertDuty(trx, { objectId: row.id, organizationId: row.organization_id, source: 'lifecycle_move', description: move, changedOn: occurredOn, dueOn: due, actor, now }) };
    await recordAuditEvent(trx, {
      actor: userActor(actor),
      entityType: 'object',
      entityId: row.id,
      action: 'object.lifecycle_moved',
      before: { stage: state.stage, step: state.step, commissionedOn: row.commissioned_on, terminatedOn: row.terminated_on },
      after: {
        move,
        occurredOn,
        eventId: event.id,
        stage: next.stage,
        step: next.step,
        commissionedOn: move === 'commission' ? occurredOn : row.commissioned_on,
        terminatedOn: move === 'terminate' ? occurredOn : row.terminated_on,
        duty: { id: duty.id, source: 'lifecycle_move', changedOn: occurredOn, dueOn: due },
      },
      requestId: ctx.requestId,
    });
    return { state: next, dutyId: duty.id, dueOn: due };
  });
}

// ---------------------------------------------------------------------------------------------
// Reviewer reports

/**
 * The service integrator records that an object's information is missing or out of date (003 §9:
 * "or its absence was detected"): opens a reviewer_report duty due 10 working days after
 * detectedOn, which the owner's next save fulfils. Reviewers and administrators
 * (objects.report_outdated). A terminated object is read-only: CONFLICT "object_terminated".
 */
export async function reportOutdatedInformation(
  db: Kysely<Database>,
  actor: AuthUser | null | undefined,
  id: string,
  input: OutdatedReportInput,
  ctx: ServiceContext = {},
): Promise<{ dutyId: string; dueOn: string }> {
  requirePermission(actor, 'objects.report_outdated');
  await loadVisibleObject(db, actor, id);
  const now = ctx.now ?? new Date();
  const calendar = await loadCalendarData(db);
  const description = typeof input.description === 'string' ? input.description.trim() : '';
  const errors: FieldError[] = [];
  if (description === '') errors.push({ field: 'description', rule: 'required' });
  else if (description.length > REPORT_DESCRIPTION_MAX) errors.push({ field: 'description', rule: 'too_long', params: { max: REPORT_DESCRIPTION_MAX } });
  const day = changeDay(input.detectedOn, 'detectedOn', toAlmatyDate(now), calendar);
  if (!day.ok) errors.push(day.error);
  if (errors.length > 0 || !day.ok) throw validationFailed(errors, 'report rejected');

  return db.transaction().execute(async (trx) => {
    const row = await loadVisibleObject(trx, actor, id, { lock: true });
    if (isReadOnly(stateOf(row))) throw new AppError('CONFLICT', 'the object was terminated', { reason: 'object_terminated' });
    const duty = { id: await insertDuty(trx, { objectId: row.id, organizationId: row.organization_id, source: 'reviewer_report', description, changedOn: day.day, dueOn: day.dueOn, actor, now }) };
    await recordAuditEvent(trx, {
      actor: userActor(actor),
      entityType: 'object',
      entityId: row.id,
      action: 'object.outdated_information_reported',
      after: { duty: { id: duty.id, source: 'reviewer_report', description, changedOn: day.day, dueOn: day.dueOn } },
      requestId: ctx.requestId,
    });
    return { dutyId: duty.id, dueOn: day.dueOn };
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

export async function organizationsById(db: Executor, ids: Iterable<string>): Promise<Record<string, OrganizationRef>> {
  const wanted = [...new Set(ids)].filter((id) => UUID.test(id));
  if (wanted.length === 0) return {};
  const rows = await db.selectFrom('organizations').select(['id', 'bin', 'name_kk', 'name_ru', 'name_en']).where('id', 'in', wanted).execute();
  return Object.fromEntries(rows.map((row) => [row.id, { id: row.id, bin: row.bin, nameKk: row.name_kk, nameRu: row.name_ru, nameEn: row.name_en }]));
}

export function referencedOrganizationIds(passport: unknown): string[] {
  if (!isRecord(passport)) return [];
  const ids: string[] = [];
  if (typeof passport.owner_organization_id === 'string') ids.push(passport.owner_organization_id);
  if (isRecord(passport.possessor) && typeof passport.possessor.organization_id === 'string') ids.push(passport.possessor.organization_id);
  return ids;
}

/**
 * The stamp of the object's page (src/web/page-stamp.ts), read with the session when
 * the request asked for it (`known`), else now. Access as in getObject: staff of another
 * organization, like anyone asking for an object that does not exist, get NOT_FOUND.
 */
export async function objectPageStamp(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string, known?: ObjectPageStamp): Promise<string> {
  requirePermission(actor, 'objects.read');
  if (!UUID.test(id)) throw new AppError('NOT_FOUND');
  const page = known?.objectId === id ? known : await readObjectPageStamp(db, id);
  if (page.organizationId === null || page.stamp === null) throw new AppError('NOT_FOUND');
  requireSameOrganization(actor, page.organizationId);
  return page.stamp;
}

/**
 * One object as its page shows it: passport, lifecycle state and timeline, duties, the documents
 * required in the current state, and the derived facts of 004 §16.9 (warranty) and §18 (operation
 * funding). Staff of another organization get NOT_FOUND.
 */
export async function getObject(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string, ctx: ServiceContext = {}): Promise<ObjectDetail> {
  requirePermission(actor, 'objects.read');
  const row = await loadVisibleObject(db, actor, id);
  const now = ctx.now ?? new Date();
  const today = toAlmatyDate(now);
  const calendar = await loadCalendarData(db);
  const state = stateOf(row);
  const passport = row.passport as ObjectPassport;

  const events = await db
    .selectFrom('lifecycle_events as e')
    .leftJoin('users as u', 'u.id', 'e.recorded_by')
    .select(['e.id', 'e.move', 'e.from_stage', 'e.from_step', 'e.to_stage', 'e.to_step', 'e.occurred_on', 'e.recorded_at', 'u.surname', 'u.given_name', 'u.patronymic'])
    .where('e.object_id', '=', row.id)
    .orderBy('e.occurred_on')
    .orderBy('e.recorded_at')
    .execute();
  const timeline: TimelineEntry[] = events.map((event) => ({
    id: event.id,
    move: event.move as MoveId,
    from: stateOf({ stage: event.from_stage, step: event.from_step }),
    to: stateOf({ stage: event.to_stage, step: event.to_step }),
    occurredOn: event.occurred_on,
    recordedAt: event.recorded_at,
    recordedByName: personName(event),
  }));
  const moves: RecordedMove[] = timeline.filter((entry) => isMoveId(entry.move)).map((entry) => ({ move: entry.move, occurredOn: entry.occurredOn }));

  const dutyRows = await dutyQuery(db).where('d.object_id', '=', row.id).orderBy('d.due_on').orderBy('d.opened_at').execute();
  const duties = dutyRows.map((duty) => toDutyView(duty, now, calendar));

  const accepted = await acceptedDocumentKinds(db, row.id, null);
  const latest = await latestDocumentStates(db, row.id);
  const requiredDocuments = REQUIRED_DOCUMENTS_BY_STATE[stateKey(state)].required.map(
    // Accepted once any version is; otherwise what became of the latest upload.
    (kind): RequiredDocument => ({ kind, status: accepted.has(kind) ? 'accepted' : (latest.get(kind) ?? 'not_placed') }),
  );
  const commissionedOn = lastCommissionedOn(moves) ?? row.commissioned_on;
  const warranty = commissionedOn === null ? null : { commissionedOn, endsOn: warrantyEnd(commissionedOn), inForce: today <= warrantyEnd(commissionedOn) && state.stage !== 'termination' };
  const funding = operationFundingCheck({ state, passport, acceptedDocumentKinds: accepted });

  const integrationIds = (passport.integrations ?? []).flatMap((item) => (item.type === 'registered_object' ? [item.object_id] : []));
  let integratedObjects: Record<string, { kk: string; ru: string }> = {};
  if (integrationIds.length > 0) {
    let query = db.selectFrom('objects').select(['id', 'name_kk', 'name_ru']).where('id', 'in', integrationIds);
    // Staff see the names of their own organization's objects only.
    if (actor.role === 'staff') query = query.where('organization_id', '=', ownOrganization(actor));
    integratedObjects = Object.fromEntries((await query.execute()).map((o) => [o.id, { kk: o.name_kk, ru: o.name_ru }]));
  }
  const organizations = await organizationsById(db, [row.organization_id, ...referencedOrganizationIds(passport)]);

  return {
    id: row.id,
    organization: organizations[row.organization_id]!,
    version: row.version,
    passport,
    state,
    readOnly: isReadOnly(state),
    commissionedOn: row.commissioned_on,
    terminatedOn: row.terminated_on,
    reviewStatus: row.review_status,
    accountCode: row.account_code,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    timeline,
    availableMoves: availableMoves(state),
    duties: { open: duties.filter((d) => d.status !== 'fulfilled'), closed: duties.filter((d) => d.status === 'fulfilled').reverse() },
    requiredDocuments,
    warranty,
    funding,
    organizations,
    integratedObjects,
  };
}

/**
 * A registered organization by its BIN, for naming the possessor of an object (003 §4.1) in the
 * passport form; null when none is registered with it.
 */
export async function findOrganizationByBin(db: Kysely<Database>, actor: AuthUser | null | undefined, bin: string): Promise<OrganizationRef | null> {
  requirePermission(actor, 'objects.edit');
  const row = await db.selectFrom('organizations').select(['id', 'bin', 'name_kk', 'name_ru', 'name_en']).where('bin', '=', bin).executeTakeFirst();
  return row ? { id: row.id, bin: row.bin, nameKk: row.name_kk, nameRu: row.name_ru, nameEn: row.name_en } : null;
}

async function versionRows(db: Executor, objectId: string) {
  return db
    .selectFrom('object_versions as v')
    .leftJoin('users as u', 'u.id', 'v.changed_by')
    .select(['v.version', 'v.passport', 'v.stage', 'v.step', 'v.information_changed_on', 'v.changed_at', 'u.surname', 'u.given_name', 'u.patronymic'])
    .where('v.object_id', '=', objectId)
    .orderBy('v.version')
    .execute();
}

type VersionRow = Awaited<ReturnType<typeof versionRows>>[number];

function toVersionSummary(row: VersionRow, previous: VersionRow | undefined): VersionSummary {
  return {
    version: row.version,
    stage: row.stage as LifecycleStage,
    step: row.step as LifecycleStep | null,
    informationChangedOn: row.information_changed_on,
    changedAt: row.changed_at,
    changedByName: personName(row),
    changeCount: diffPassports(previous?.passport, row.passport).length,
  };
}

/** Every saved version of the object's passport, the latest first. */
export async function listObjectVersions(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string): Promise<VersionSummary[]> {
  requirePermission(actor, 'objects.read');
  const row = await loadVisibleObject(db, actor, id);
  const rows = await versionRows(db, row.id);
  return rows.map((version, index) => toVersionSummary(version, rows[index - 1])).reverse();
}

/** The field-by-field changes from version `from` to version `to` (diffPassports). NOT_FOUND for a version that does not exist. */
export async function compareObjectVersions(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string, from: number, to: number): Promise<VersionComparison> {
  requirePermission(actor, 'objects.read');
  const row = await loadVisibleObject(db, actor, id);
  const rows = await versionRows(db, row.id);
  const index = (version: number) => rows.findIndex((candidate) => candidate.version === version);
  const fromIndex = index(from);
  const toIndex = index(to);
  if (fromIndex === -1 || toIndex === -1) throw new AppError('NOT_FOUND');
  const before = rows[fromIndex]!;
  const after = rows[toIndex]!;
  return {
    objectId: row.id,
    objectName: { kk: row.name_kk, ru: row.name_ru },
    from: toVersionSummary(before, rows[fromIndex - 1]),
    to: toVersionSummary(after, rows[toIndex - 1]),
    changes: diffPassports(before.passport, after.passport),
    organizations: await organizationsById(db, [...referencedOrganizationIds(before.passport), ...referencedOrganizationIds(after.passport)]),
  };
}

// ---------------------------------------------------------------------------------------------
// Listing duties

interface DutyCursor {
  dueOn: string;
  id: string;
}

function encodeDutyCursor(cursor: DutyCursor): string {
  return Buffer.from(JSON.stringify({ d: cursor.dueOn, i: cursor.id })).toString('base64url');
}

function decodeDutyCursor(raw: string): DutyCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('BAD_REQUEST', 'malformed cursor');
  }
  const { d, i } = (isRecord(parsed) ? parsed : {}) as Record<string, unknown>;
  if (typeof d !== 'string' || !isIsoDate(d) || typeof i !== 'string' || !UUID.test(i)) throw new AppError('BAD_REQUEST', 'malformed cursor');
  return { dueOn: d, id: i };
}

/** Whose duties the actor sees: staff their organization's, duties.read_all everyone's (optionally one organization's). */
function dutyScope(actor: AuthUser, organizationId: string | undefined): string | null {
  if (can(actor, 'duties.read_all')) {
    if (organizationId !== undefined && !UUID.test(organizationId)) throw new AppError('BAD_REQUEST', 'organizationId must be a UUID');
    return organizationId ?? null;
  }
  if (actor.role !== 'staff') throw new AppError('FORBIDDEN', 'permission duties.read_all required');
  const own = ownOrganization(actor);
  if (organizationId !== undefined) requireSameOrganization(actor, organizationId);
  return own;
}

/**
 * Update duties, keyset-paginated: open and overdue ones by due day, soonest first; fulfilled
 * ones and "all" by due day, latest first. Staff see their organization's; reviewers, auditors and
 * administrators (duties.read_all) everyone's, or one organization's.
 */
export async function listDuties(db: Kysely<Database>, actor: AuthUser | null | undefined, filters: DutyFilters, ctx: ServiceContext = {}): Promise<DutyPage> {
  requirePermission(actor, 'objects.read');
  if (!(DUTY_STATUS_FILTERS as readonly string[]).includes(filters.status)) throw new AppError('BAD_REQUEST', 'unknown status');
  const limit = filters.limit ?? DUTY_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DUTY_PAGE_SIZE) throw new AppError('BAD_REQUEST', `limit must be 1 to ${MAX_DUTY_PAGE_SIZE}`);
  const organizationId = dutyScope(actor, filters.organizationId);
  const now = ctx.now ?? new Date();
  const today = toAlmatyDate(now);
  const ascending = filters.status === 'open' || filters.status === 'overdue';

  let query = dutyQuery(db);
  if (organizationId !== null) query = query.where('d.organization_id', '=', organizationId);
  if (filters.status === 'open') query = query.where('d.fulfilled_at', 'is', null);
  if (filters.status === 'overdue') query = query.where('d.fulfilled_at', 'is', null).where('d.due_on', '<', today);
  if (filters.status === 'fulfilled') query = query.where('d.fulfilled_at', 'is not', null);
  if (filters.cursor) {
    const cursor = decodeDutyCursor(filters.cursor);
    query = query.where(sql<boolean>`(d.due_on, d.id) ${sql.raw(ascending ? '>' : '<')} (${cursor.dueOn}::date, ${cursor.id}::uuid)`);
  }
  const direction = ascending ? 'asc' : 'desc';
  const rows = await query.orderBy('d.due_on', direction).orderBy('d.id', direction).limit(limit + 1).execute();
  const calendar = await loadCalendarData(db);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toDutyView(row, now, calendar)),
    nextCursor: rows.length > limit && last ? encodeDutyCursor({ dueOn: last.due_on, id: last.id }) : null,
  };
}

/** Organizations a duties.read_all reader may filter the duties by. */
export async function listDutyOrganizations(db: Kysely<Database>, actor: AuthUser | null | undefined): Promise<OrganizationRef[]> {
  requirePermission(actor, 'duties.read_all');
  const rows = await db.selectFrom('organizations').select(['id', 'bin', 'name_kk', 'name_ru', 'name_en']).orderBy('name_ru').orderBy('id').execute();
  return rows.map((row) => ({ id: row.id, bin: row.bin, nameKk: row.name_kk, nameRu: row.name_ru, nameEn: row.name_en }));
}

/**
 * For the home page: how many duties are open and overdue, and the few due soonest — the staff
 * member's organization's, or everyone's for duties.read_all. Null for a role that sees no duties.
 */
export async function dutiesSummaryForHome(db: Kysely<Database>, actor: AuthUser | null | undefined, ctx: ServiceContext & { nearest?: number } = {}): Promise<DutiesSummary | null> {
  if (!actor || !can(actor, 'objects.read')) return null;
  const readsAll = can(actor, 'duties.read_all');
  if (!readsAll && (actor.role !== 'staff' || !actor.organizationId)) return null;
  const now = ctx.now ?? new Date();
  const today = toAlmatyDate(now);
  let counts = db
    .selectFrom('update_duties')
    .select([sql<number>`count(*)::int`.as('open'), sql<number>`(count(*) FILTER (WHERE due_on < ${today}::date))::int`.as('overdue')])
    .where('fulfilled_at', 'is', null);
  if (!readsAll) counts = counts.where('organization_id', '=', actor.organizationId!);
  const { open, overdue } = await counts.executeTakeFirstOrThrow();
  const nearest = await listDuties(db, actor, { status: 'open', limit: ctx.nearest ?? 5 }, { now });
  return { scope: readsAll ? 'all' : 'organization', open, overdue, nearest: nearest.items };
}
