/**
 * The registry's objects (issue "The registry: object passports, lifecycle stages and the
 * 10-working-day update duty"; domain.md Workflow B and D).
 *
 * Staff record their organization's informatization objects: a passport (003 §5, Annex 1, checked
 * by schemas/object-passport.schema.json through validatePassport), kept whole in a new version on
 * every save; the lifecycle moves of 004 §9–19, checked by the state machine in lifecycle.ts; and
 * the update duty of 003 §9 — the information is brought up to date on the portal no later than
 * 10 working days after it changed in reality or its absence was detected (update-duty.ts says how
 * saves, moves and reports record it; duties.service.ts lists the duties, versions.service.ts the
 * passport's versions).
 *
 * Every use case checks its permission first, then writes its change and its audit event in one
 * transaction, re-checking the object's state under a row lock.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { type AuthUser, requirePermission, requireSameOrganization } from '../../access/permissions.ts';
import { loadCalendarData } from '../calendar/calendar.service.ts';
import { type CalendarData, toAlmatyDate } from '../calendar/working-days.ts';
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
  type LifecycleState,
  type MoveId,
  type MoveRefusal,
  operationFundingCheck,
  stateOf,
  type RecordedMove,
  stateKey,
  warrantyEnd,
} from './lifecycle.ts';
import { diffPassports, type ObjectPassport, type PassportChange, validatePassport } from './passport.ts';
import {
  acceptedDocumentKinds,
  existingObjectIds,
  findObjectRow,
  fulfilOpenDuties,
  insertDuty,
  insertLifecycleEvent,
  insertObjectRow,
  insertObjectVersion,
  latestDocumentStates,
  lifecycleTimeline,
  listObjectDuties,
  objectNamesById,
  type ObjectRow,
  organizationExists,
  recordedMoves,
  setObjectState,
  type TimelineEntry,
  updateObjectPassport,
} from './objects.repository.ts';
import { changeDay, dueDay, type DutyView, toDutyView } from './update-duty.ts';
import { type OrganizationRef, organizationsById } from '../organizations/organizations.repository.ts';

export type { OrganizationRef };

export const REPORT_DESCRIPTION_MAX = 2000;

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

// ---------------------------------------------------------------------------------------------
// Helpers

function validationFailed(fields: FieldError[], message = 'invalid input'): AppError {
  return new AppError('VALIDATION_FAILED', message, { fields });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Staff act for their organization; an account without one cannot own objects. */
export function ownOrganization(actor: AuthUser): string {
  if (!actor.organizationId) throw new AppError('FORBIDDEN', 'staff without an organization');
  return actor.organizationId;
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
    if (!(await organizationExists(db, possessor))) errors.push({ field: 'possessor.organization_id', rule: 'unknown_organization' });
  }
  const integrations = isRecord(submitted) && Array.isArray(submitted.integrations) ? submitted.integrations : [];
  const referenced = integrations.flatMap((item, index) =>
    isRecord(item) && item.type === 'registered_object' && typeof item.object_id === 'string' && UUID.test(item.object_id) ? [{ index, id: item.object_id.toLowerCase() }] : [],
  );
  if (referenced.length > 0) {
    const known = await existingObjectIds(db, [...new Set(referenced.map((r) => r.id))]);
    for (const { index, id } of referenced) {
      if (objectId !== null && id === objectId) errors.push({ field: `integrations.${index}.object_id`, rule: 'self_reference' });
      else if (!known.has(id)) errors.push({ field: `integrations.${index}.object_id`, rule: 'unknown_object' });
    }
  }
  if (errors.length > 0 || !result.ok) return { ok: false, errors: prefixed('passport', errors) };
  return { ok: true, passport: result.passport };
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

/** The information_changed duty of a save: due 10 working days after the change, fulfilled by the save. */
function recordSaveDuty(
  trx: Transaction<Database>,
  values: { objectId: string; organizationId: string; changedOn: string; dueOn: string; version: number; actorId: string; now: Date },
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
  const objectId = await insertObjectRow(trx, { passport: checked.passport, organizationId, state, actorId: actor.id, now });
  await insertObjectVersion(trx, { objectId, version: 1, passport: checked.passport, state, informationChangedOn: checked.changedOn, actorId: actor.id, now });
  const dutyId = await recordSaveDuty(trx, { objectId, organizationId, changedOn: checked.changedOn, dueOn: checked.dueOn, version: 1, actorId: actor.id, now });
  const onTime = toAlmatyDate(now) <= checked.dueOn;
  await recordAuditEvent(trx, {
    actor: userActor(actor),
    entityType: 'object',
    entityId: objectId,
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
  return { id: objectId, version: 1, dueOn: checked.dueOn, onTime };
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
    await updateObjectPassport(trx, row.id, { passport, version, actorId: actor.id, now });
    await insertObjectVersion(trx, { objectId: row.id, version, passport, state: row, informationChangedOn: changedOn, actorId: actor.id, now });
    const fulfilled = await fulfilOpenDuties(trx, row.id, { version, actorId: actor.id, now });
    const dutyId = await recordSaveDuty(trx, { objectId: row.id, organizationId: row.organization_id, changedOn, dueOn, version, actorId: actor.id, now });
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
        fulfilledDuties: fulfilled.map((duty) => ({ id: duty.id, source: duty.source, dueOn: duty.dueOn, onTime: today <= duty.dueOn })),
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

    await setObjectState(trx, row.id, {
      state: next,
      ...(move === 'commission' ? { commissionedOn: occurredOn } : {}),
      ...(move === 'terminate' ? { terminatedOn: occurredOn } : {}),
      actorId: actor.id,
      now,
    });
    const eventId = await insertLifecycleEvent(trx, { objectId: row.id, move, from: state, to: next, occurredOn, actorId: actor.id, now });
    const duty = { id: await insertDuty(trx, { objectId: row.id, organizationId: row.organization_id, source: 'lifecycle_move', description: move, changedOn: occurredOn, dueOn: due, actorId: actor.id, now }) };
    await recordAuditEvent(trx, {
      actor: userActor(actor),
      entityType: 'object',
      entityId: row.id,
      action: 'object.lifecycle_moved',
      before: { stage: state.stage, step: state.step, commissionedOn: row.commissioned_on, terminatedOn: row.terminated_on },
      after: {
        move,
        occurredOn,
        eventId,
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
    const duty = { id: await insertDuty(trx, { objectId: row.id, organizationId: row.organization_id, source: 'reviewer_report', description, changedOn: day.day, dueOn: day.dueOn, actorId: actor.id, now }) };
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

  const timeline = await lifecycleTimeline(db, row.id);
  const moves: RecordedMove[] = timeline.filter((entry) => isMoveId(entry.move)).map((entry) => ({ move: entry.move, occurredOn: entry.occurredOn }));

  const duties = (await listObjectDuties(db, row.id)).map((duty) => toDutyView(duty, now, calendar));

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
    // Staff see the names of their own organization's objects only.
    integratedObjects = await objectNamesById(db, integrationIds, actor.role === 'staff' ? ownOrganization(actor) : null);
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

