import type { Kysely, Transaction } from 'kysely';
import { type Database, ORGANIZATION_KINDS, type OrganizationKind } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { type Actor, recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import { normalizeBinInput, validateBin } from './bin-iin.ts';
import {
  findOrganization,
  findOrganizationWithBin,
  insertOrganization,
  insertOrganizationIfAbsent,
  type Organization,
  listOrganizationNames,
  listOrganizationsWithUsers,
  type OrganizationListItem,
  type OrganizationNames,
  type OrganizationRef,
  type OrganizationValues,
  updateOrganizationValues,
  valuesOf,
} from './organizations.repository.ts';

/** The organization form's fields as posted. */
export interface OrganizationInput {
  bin: string;
  kind: string;
  name_kk: string;
  name_ru: string;
  name_en: string;
}

export const ORGANIZATION_NAME_MAX = 500;

function invalid(fields: FieldError[]): AppError {
  return new AppError('VALIDATION_FAILED', 'input rejected', { fields });
}

/** The form's values checked and tidied (BIN without spaces, names trimmed). */
export function checkOrganizationInput(input: OrganizationInput): { ok: true; value: OrganizationValues } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const bin = normalizeBinInput(input.bin);
  if (bin === '') errors.push({ field: 'bin', rule: 'required' });
  else {
    const validation = validateBin(bin);
    if (!validation.ok) errors.push({ field: 'bin', rule: `admin.organizations.errors.bin_${validation.reason}` });
  }
  if (!ORGANIZATION_KINDS.includes(input.kind as OrganizationKind)) errors.push({ field: 'kind', rule: 'required' });
  const names = { name_kk: input.name_kk.trim(), name_ru: input.name_ru.trim(), name_en: input.name_en.trim() };
  for (const [field, value] of Object.entries(names)) {
    if (value === '' && field !== 'name_en') errors.push({ field, rule: 'required' });
    else if (value.length > ORGANIZATION_NAME_MAX) errors.push({ field, rule: 'too_long', params: { max: ORGANIZATION_NAME_MAX } });
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { bin, kind: input.kind as OrganizationKind, name_kk: names.name_kk, name_ru: names.name_ru, name_en: names.name_en || null } };
}

export async function listOrganizations(db: Kysely<Database>, input: { actor: AuthUser; search?: string | undefined }): Promise<OrganizationListItem[]> {
  requirePermission(input.actor, 'organizations.read');
  const term = input.search?.trim();
  const digits = term ? normalizeBinInput(term) : '';
  return listOrganizationsWithUsers(db, term || undefined, /^\d+$/.test(digits) ? digits : null);
}

/** Every organization by name, for choosing one (user filters and the role form). */
export async function listOrganizationChoices(db: Kysely<Database>, input: { actor: AuthUser }): Promise<OrganizationNames[]> {
  requirePermission(input.actor, 'users.manage');
  return listOrganizationNames(db);
}

export async function getOrganizationForEdit(db: Kysely<Database>, input: { actor: AuthUser; organizationId: string }): Promise<OrganizationInput> {
  requirePermission(input.actor, 'organizations.manage');
  const organization = await findOrganization(db, input.organizationId);
  if (!organization) throw new AppError('NOT_FOUND');
  return { bin: organization.bin, kind: organization.kind, name_kk: organization.nameKk, name_ru: organization.nameRu, name_en: organization.nameEn ?? '' };
}

const binTaken = (): AppError => invalid([{ field: 'bin', rule: 'admin.organizations.errors.bin_taken' }]);

/** Two administrators saving the same BIN at once: the unique index decides. */
async function refusingTakenBin<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw binTaken();
    throw error;
  }
}

export async function createOrganization(db: Kysely<Database>, input: { actor: AuthUser; values: OrganizationInput; requestId?: string }): Promise<string> {
  requirePermission(input.actor, 'organizations.manage');
  const checked = checkOrganizationInput(input.values);
  if (!checked.ok) throw invalid(checked.errors);
  return refusingTakenBin(() =>
    db.transaction().execute(async (trx) => {
      if (await findOrganizationWithBin(trx, checked.value.bin)) throw binTaken();
      const organization = await insertOrganization(trx, checked.value);
      await recordAuditEvent(trx, {
        actor: userActor(input.actor),
        entityType: 'organization',
        entityId: organization.id,
        action: 'organization.created',
        after: valuesOf(organization),
        requestId: input.requestId,
      });
      return organization.id;
    }),
  );
}

export async function updateOrganization(
  db: Kysely<Database>,
  input: { actor: AuthUser; organizationId: string; values: OrganizationInput; requestId?: string },
): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'organizations.manage');
  const checked = checkOrganizationInput(input.values);
  if (!checked.ok) throw invalid(checked.errors);
  return refusingTakenBin(() =>
    db.transaction().execute(async (trx) => {
      const organization = await findOrganization(trx, input.organizationId, { lock: 'update' });
      if (!organization) throw new AppError('NOT_FOUND');
      const before = valuesOf(organization);
      const after = checked.value;
      if (JSON.stringify(before) === JSON.stringify(after)) return { changed: false };
      if (await findOrganizationWithBin(trx, after.bin, { exceptId: organization.id })) throw binTaken();
      await updateOrganizationValues(trx, organization.id, after);
      await recordAuditEvent(trx, {
        actor: userActor(input.actor),
        entityType: 'organization',
        entityId: organization.id,
        action: 'organization.updated',
        before,
        after,
        requestId: input.requestId,
      });
      return { changed: true };
    }),
  );
}

/**
 * A registered organization by its BIN, for naming the possessor of an object (003 §4.1) in the
 * passport form; null when none is registered with it.
 */
export async function findOrganizationByBin(db: Kysely<Database>, actor: AuthUser | null | undefined, bin: string): Promise<OrganizationRef | null> {
  requirePermission(actor, 'objects.edit');
  const organization = await findOrganizationWithBin(db, bin);
  return organization ? { id: organization.id, bin: organization.bin, nameKk: organization.nameKk, nameRu: organization.nameRu, nameEn: organization.nameEn } : null;
}

/**
 * The organization with this BIN, registered now (with its audit event) when it is new: once,
 * even when several transactions register it at the same time.
 */
export async function ensureOrganization(
  trx: Transaction<Database>,
  values: OrganizationValues,
  audit: { actor: Actor; after: (organization: Organization) => unknown; requestId?: string | undefined },
): Promise<{ id: string; created: boolean }> {
  const existing = await findOrganizationWithBin(trx, values.bin);
  if (existing) return { id: existing.id, created: false };
  const inserted = await insertOrganizationIfAbsent(trx, values);
  if (!inserted) {
    // Registered by a concurrent transaction that committed meanwhile.
    return { id: (await findOrganizationWithBin(trx, values.bin))!.id, created: false };
  }
  await recordAuditEvent(trx, {
    actor: audit.actor,
    entityType: 'organization',
    entityId: inserted.id,
    action: 'organization.created',
    after: audit.after(inserted),
    requestId: audit.requestId,
  });
  return { id: inserted.id, created: true };
}
