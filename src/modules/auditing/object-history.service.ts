/**
 * One object's whole history for auditors: its audit events in order as a timeline (with who and
 * when, filterable by kind, each with its permalink), and the object as it stood at any moment,
 * folded from the events recorded up to then (object-history.ts).
 */
import type { Kysely } from 'kysely';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import type { Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError } from '../../errors.ts';
import { type AuditEventView, findAccessEvents, findAuditEvents, findObjectHeading, findPassportVersion, type ObjectHeading, type AccessEventView } from './auditing.repository.ts';
import { type ObjectAsOf, objectAsOf, type TimelineKind, timelineKind } from './object-history.ts';

/** More than any object gathers in years of use; a longer history shows its newest part and says so. */
export const TIMELINE_LIMIT = 5000;

export interface TimelineEntry extends AuditEventView {
  kind: TimelineKind;
}

export interface ObjectTimeline {
  object: ObjectHeading;
  entries: TimelineEntry[];
  /** Counts per kind over the whole history, for the filter. */
  counts: Partial<Record<TimelineKind, number>>;
  truncated: boolean;
  /** Who read the object's page and files, newest first. */
  access: AccessEventView[];
}

async function heading(db: Kysely<Database>, objectId: string): Promise<ObjectHeading> {
  if (!UUID.test(objectId)) throw new AppError('NOT_FOUND');
  const object = await findObjectHeading(db, objectId);
  if (!object) throw new AppError('NOT_FOUND');
  return object;
}

async function objectEvents(db: Kysely<Database>, objectId: string): Promise<{ events: AuditEventView[]; truncated: boolean }> {
  const events = await findAuditEvents(db, { objectId }, { order: 'asc', limit: TIMELINE_LIMIT + 1 });
  return { events: events.slice(0, TIMELINE_LIMIT), truncated: events.length > TIMELINE_LIMIT };
}

export async function getObjectTimeline(db: Kysely<Database>, actor: AuthUser | null | undefined, objectId: string, kinds: readonly TimelineKind[] = []): Promise<ObjectTimeline> {
  requirePermission(actor, 'audit.read');
  const object = await heading(db, objectId);
  const { events, truncated } = await objectEvents(db, objectId);
  const all = events.map((event) => ({ ...event, kind: timelineKind(event.action) }));
  const counts: Partial<Record<TimelineKind, number>> = {};
  for (const entry of all) counts[entry.kind] = (counts[entry.kind] ?? 0) + 1;
  const wanted = new Set(kinds);
  const access = await findAccessEvents(db, { objectId }, { limit: 50 });
  return { object, entries: wanted.size === 0 ? all : all.filter((entry) => wanted.has(entry.kind)), counts, truncated, access };
}

export interface ObjectAsOfView {
  object: ObjectHeading;
  at: Date;
  state: ObjectAsOf;
  /** The passport of the version current then, as saved. */
  passport: unknown;
}

export async function getObjectAsOf(db: Kysely<Database>, actor: AuthUser | null | undefined, objectId: string, at: Date): Promise<ObjectAsOfView> {
  requirePermission(actor, 'audit.read');
  const object = await heading(db, objectId);
  const { events } = await objectEvents(db, objectId);
  const state = objectAsOf(events, at);
  const version = state.passportVersion === null ? null : await findPassportVersion(db, objectId, state.passportVersion);
  return { object, at, state, passport: version?.passport ?? null };
}
