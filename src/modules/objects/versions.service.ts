/**
 * The saved versions of an object's passport (003 §5: every save keeps the passport whole in a new
 * version) and the field-by-field comparison of two of them. Read only; access as for the object.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { AppError } from '../../errors.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import type { LifecycleStage, LifecycleStep } from './lifecycle.ts';
import { diffPassports, type PassportChange } from './passport.ts';
import { listVersionRecords, type VersionRecord } from './objects.repository.ts';
import { loadVisibleObject, referencedOrganizationIds } from './objects.service.ts';
import { type OrganizationRef, organizationsById } from '../organizations/organizations.repository.ts';

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

function toVersionSummary(record: VersionRecord, previous: VersionRecord | undefined): VersionSummary {
  return {
    version: record.version,
    stage: record.stage as LifecycleStage,
    step: record.step as LifecycleStep | null,
    informationChangedOn: record.informationChangedOn,
    changedAt: record.changedAt,
    changedByName: record.changedByName,
    changeCount: diffPassports(previous?.passport, record.passport).length,
  };
}

/** Every saved version of the object's passport, the latest first. */
export async function listObjectVersions(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string): Promise<VersionSummary[]> {
  requirePermission(actor, 'objects.read');
  const row = await loadVisibleObject(db, actor, id);
  const records = await listVersionRecords(db, row.id);
  return records.map((version, index) => toVersionSummary(version, records[index - 1])).reverse();
}

/** The field-by-field changes from version `from` to version `to` (diffPassports). NOT_FOUND for a version that does not exist. */
export async function compareObjectVersions(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string, from: number, to: number): Promise<VersionComparison> {
  requirePermission(actor, 'objects.read');
  const row = await loadVisibleObject(db, actor, id);
  const records = await listVersionRecords(db, row.id);
  const index = (version: number) => records.findIndex((candidate) => candidate.version === version);
  const fromIndex = index(from);
  const toIndex = index(to);
  if (fromIndex === -1 || toIndex === -1) throw new AppError('NOT_FOUND');
  const before = records[fromIndex]!;
  const after = records[toIndex]!;
  return {
    objectId: row.id,
    objectName: { kk: row.name_kk, ru: row.name_ru },
    from: toVersionSummary(before, records[fromIndex - 1]),
    to: toVersionSummary(after, records[toIndex - 1]),
    changes: diffPassports(before.passport, after.passport),
    organizations: await organizationsById(db, [...referencedOrganizationIds(before.passport), ...referencedOrganizationIds(after.passport)]),
  };
}
