/**
 * The registry as numbers for the authorized body, administrators and auditors (001 §3.7: the
 * portal serves monitoring, analysis and planning in informatization; 004 §18): objects by kind,
 * class, stage and organization; objects without their required documents; the objects whose
 * operation spending is not supported, with what is missing; update duties due and overdue per
 * organization; review deadlines per month. Reading only.
 */
import type { Kysely } from 'kysely';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import type { Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError } from '../../errors.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { type FundingGap, operationFundingCheck, stateOf } from '../objects/lifecycle.ts';
import {
  countGaps,
  countObjectsBy,
  countObjectsByOrganization,
  dutiesByOrganization,
  findGapCandidates,
  type GapCandidate,
  listOrganizations,
  type MonitoringScope,
  reviewDeadlinesByMonth,
} from './monitoring.repository.ts';

export const GAP_PAGE_SIZE = 50;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export interface MonitoringInput {
  organization?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export interface MonitoringFilters {
  organizationId?: string;
  fromMonth: string;
  toMonth: string;
}

/** Unknown or malformed filters mean "all" and the last twelve months; a period the wrong way round is swapped. */
export function monitoringFilters(input: MonitoringInput, now = new Date()): MonitoringFilters {
  const thisMonth = toAlmatyDate(now).slice(0, 7);
  const [year, month] = thisMonth.split('-').map(Number) as [number, number];
  const yearAgo = `${month === 12 ? year : year - 1}-${String((month % 12) + 1).padStart(2, '0')}`;
  let fromMonth = input.from && MONTH.test(input.from) ? input.from : yearAgo;
  let toMonth = input.to && MONTH.test(input.to) ? input.to : thisMonth;
  if (fromMonth > toMonth) [fromMonth, toMonth] = [toMonth, fromMonth];
  return { ...(input.organization && UUID.test(input.organization) ? { organizationId: input.organization.toLowerCase() } : {}), fromMonth, toMonth };
}

export interface GapItem extends Omit<GapCandidate, 'passport' | 'acceptedKinds'> {
  missing: FundingGap[];
}

function withMissing(candidate: GapCandidate): GapItem {
  const check = operationFundingCheck({ state: stateOf(candidate), passport: candidate.passport, acceptedDocumentKinds: new Set(candidate.acceptedKinds) });
  return { id: candidate.id, organizationId: candidate.organizationId, nameKk: candidate.nameKk, nameRu: candidate.nameRu, stage: candidate.stage, step: candidate.step, missing: check.missing };
}

export interface Monitoring {
  filters: MonitoringFilters;
  organizations: Array<{ id: string; name: string; bin: string }>;
  byKind: Array<{ key: string; count: number }>;
  byClass: Array<{ key: string; count: number }>;
  byStage: Array<{ key: string; count: number }>;
  byOrganization: Array<{ id: string; name: string; bin: string; count: number }>;
  duties: Array<{ id: string; name: string; bin: string; due: number; overdue: number }>;
  reviews: Array<{ month: string; received: number; onTime: number; late: number; openOverdue: number }>;
  withoutDocuments: { count: number; items: GapItem[] };
  fundingNotSupported: { count: number; items: GapItem[] };
}

export async function getMonitoring(db: Kysely<Database>, actor: AuthUser | null | undefined, filters: MonitoringFilters, options: { language: 'kk' | 'ru' | 'en'; now?: Date }): Promise<Monitoring> {
  requirePermission(actor, 'monitoring.read');
  const now = options.now ?? new Date();
  const scope: MonitoringScope = filters.organizationId ? { organizationId: filters.organizationId } : {};
  const [organizations, byKind, byClass, byStage, byOrganization, duties, reviews, documentsCount, documentsItems, fundingCount, fundingItems] = await Promise.all([
    listOrganizations(db, options.language),
    countObjectsBy(db, 'kind', scope),
    countObjectsBy(db, 'class', scope),
    countObjectsBy(db, 'stage', scope),
    countObjectsByOrganization(db, options.language, 20),
    dutiesByOrganization(db, options.language, toAlmatyDate(now), scope, 20),
    reviewDeadlinesByMonth(db, filters.fromMonth, filters.toMonth, scope, now),
    countGaps(db, 'documents', scope),
    findGapCandidates(db, 'documents', scope, { limit: GAP_PAGE_SIZE }),
    countGaps(db, 'operation', scope),
    findGapCandidates(db, 'operation', scope, { limit: GAP_PAGE_SIZE }),
  ]);
  return {
    filters,
    organizations,
    byKind,
    byClass,
    byStage,
    byOrganization,
    duties,
    reviews,
    withoutDocuments: { count: documentsCount, items: documentsItems.map(withMissing) },
    fundingNotSupported: { count: fundingCount, items: fundingItems.map(withMissing) },
  };
}

/** Every object of a gap list, in pages, for its CSV (the page shows the first GAP_PAGE_SIZE). */
export async function* allGaps(db: Kysely<Database>, actor: AuthUser | null | undefined, which: 'operation' | 'documents', filters: MonitoringFilters): AsyncGenerator<GapItem> {
  requirePermission(actor, 'monitoring.read');
  const scope: MonitoringScope = filters.organizationId ? { organizationId: filters.organizationId } : {};
  let afterId: string | undefined;
  for (;;) {
    const page = await findGapCandidates(db, which, scope, { limit: 500, ...(afterId ? { afterId } : {}) });
    for (const candidate of page) yield withMissing(candidate);
    if (page.length < 500) return;
    afterId = page.at(-1)!.id;
  }
}

export const MONITORING_TABLES = ['kinds', 'classes', 'stages', 'organizations', 'duties', 'reviews', 'without-documents', 'funding'] as const;
export type MonitoringTable = (typeof MONITORING_TABLES)[number];

export function isMonitoringTable(value: string): value is MonitoringTable {
  return (MONITORING_TABLES as readonly string[]).includes(value);
}

export function requireMonitoringTable(value: string): MonitoringTable {
  if (!isMonitoringTable(value)) throw new AppError('NOT_FOUND');
  return value;
}
