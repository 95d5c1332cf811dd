/**
 * Reading the update duties of 003 §9 (update-duty.ts says how saves, lifecycle moves and
 * reviewer reports record them): the keyset-paginated list, the organizations it can be narrowed
 * to, and the home page's summary. Staff see their organization's duties; reviewers, auditors and
 * administrators (duties.read_all) everyone's.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError } from '../../errors.ts';
import { type AuthUser, can, requirePermission, requireSameOrganization } from '../../access/permissions.ts';
import { loadCalendarData } from '../calendar/calendar.service.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { isIsoDate } from './lifecycle.ts';
import { countOpenDuties, listDutyRecords } from './objects.repository.ts';
import { isRecord, ownOrganization, type ServiceContext } from './objects.service.ts';
import { listOrganizationRefs, type OrganizationRef } from '../organizations/organizations.repository.ts';
import { DUTY_STATUS_FILTERS, type DutyStatusFilter, type DutyView, toDutyView } from './update-duty.ts';

export const DUTY_PAGE_SIZE = 50;
export const MAX_DUTY_PAGE_SIZE = 200;

export interface DutyFilters {
  organizationId?: string | undefined;
  status: DutyStatusFilter;
  limit?: number | undefined;
  cursor?: string | undefined;
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
  const after = filters.cursor ? decodeDutyCursor(filters.cursor) : null;
  const records = await listDutyRecords(db, { organizationId, status: filters.status, today, ascending, after, limit: limit + 1 });
  const calendar = await loadCalendarData(db);
  const page = records.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((record) => toDutyView(record, now, calendar)),
    nextCursor: records.length > limit && last ? encodeDutyCursor({ dueOn: last.dueOn, id: last.id }) : null,
  };
}

/** Organizations a duties.read_all reader may filter the duties by. */
export async function listDutyOrganizations(db: Kysely<Database>, actor: AuthUser | null | undefined): Promise<OrganizationRef[]> {
  requirePermission(actor, 'duties.read_all');
  return listOrganizationRefs(db);
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
  const { open, overdue } = await countOpenDuties(db, { organizationId: readsAll ? null : actor.organizationId!, today });
  const nearest = await listDuties(db, actor, { status: 'open', limit: ctx.nearest ?? 5 }, { now });
  return { scope: readsAll ? 'all' : 'organization', open, overdue, nearest: nearest.items };
}
