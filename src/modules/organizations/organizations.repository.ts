/**
 * All SQL on `organizations`, the only writer of the table. The list for administrators counts
 * each organization's users (a read of `users`).
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, OrganizationKind } from '../../db/database.ts';
import { containsPattern } from '../../db/like-pattern.ts';
import { UUID } from '../../db/uuid.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export interface OrganizationNames {
  id: string;
  nameKk: string;
  nameRu: string;
  nameEn: string | null;
}

/** An organization as other records name it. */
export interface OrganizationRef extends OrganizationNames {
  bin: string;
}

export interface Organization extends OrganizationRef {
  kind: OrganizationKind;
}

export interface OrganizationListItem extends Organization {
  users: number;
}

/** What the table stores of an organization, as written. */
export interface OrganizationValues {
  bin: string;
  kind: OrganizationKind;
  name_kk: string;
  name_ru: string;
  name_en: string | null;
}

const COLUMNS = ['id', 'bin', 'kind', 'name_kk', 'name_ru', 'name_en'] as const;

function toOrganization(row: OrganizationValues & { id: string }): Organization {
  return { id: row.id, bin: row.bin, kind: row.kind, nameKk: row.name_kk, nameRu: row.name_ru, nameEn: row.name_en };
}

export function valuesOf(organization: Organization): OrganizationValues {
  return { bin: organization.bin, kind: organization.kind, name_kk: organization.nameKk, name_ru: organization.nameRu, name_en: organization.nameEn };
}

export async function findOrganization(db: Executor, id: string, options: { lock?: 'update' | 'share' } = {}): Promise<Organization | null> {
  let query = db.selectFrom('organizations').select(COLUMNS).where('id', '=', id);
  if (options.lock === 'update') query = query.forUpdate();
  if (options.lock === 'share') query = query.forShare();
  const row = await query.executeTakeFirst();
  return row ? toOrganization(row) : null;
}

export async function findOrganizationWithBin(db: Executor, bin: string, options: { exceptId?: string } = {}): Promise<Organization | null> {
  let query = db.selectFrom('organizations').select(COLUMNS).where('bin', '=', bin);
  if (options.exceptId) query = query.where('id', '<>', options.exceptId);
  const row = await query.executeTakeFirst();
  return row ? toOrganization(row) : null;
}

/** The organizations with these ids (anything not a UUID is ignored), by id. */
export async function organizationsById(db: Executor, ids: Iterable<string>): Promise<Record<string, OrganizationRef>> {
  const wanted = [...new Set(ids)].filter((id) => UUID.test(id));
  if (wanted.length === 0) return {};
  const rows = await db.selectFrom('organizations').select(['id', 'bin', 'name_kk', 'name_ru', 'name_en']).where('id', 'in', wanted).execute();
  return Object.fromEntries(rows.map((row) => [row.id, { id: row.id, bin: row.bin, nameKk: row.name_kk, nameRu: row.name_ru, nameEn: row.name_en }]));
}

export async function listOrganizationsWithUsers(db: Executor, search: string | undefined, binPrefix: string | null): Promise<OrganizationListItem[]> {
  let query = db
    .selectFrom('organizations')
    .leftJoin('users', 'users.organization_id', 'organizations.id')
    .select(['organizations.id', 'organizations.bin', 'organizations.kind', 'organizations.name_kk', 'organizations.name_ru', 'organizations.name_en'])
    .select((eb) => eb.fn.count<string>('users.id').as('users'))
    .groupBy('organizations.id');
  if (search) {
    const pattern = containsPattern(search);
    query = query.where((eb) =>
      eb.or([
        eb('organizations.name_kk', 'ilike', pattern),
        eb('organizations.name_ru', 'ilike', pattern),
        eb('organizations.name_en', 'ilike', pattern),
        ...(binPrefix !== null ? [eb('organizations.bin', 'like', `${binPrefix}%`)] : []),
      ]),
    );
  }
  const rows = await query.orderBy('organizations.name_ru').execute();
  return rows.map((row) => ({ ...toOrganization(row), users: Number(row.users) }));
}

export async function listOrganizationNames(db: Executor): Promise<OrganizationNames[]> {
  const rows = await db.selectFrom('organizations').select(['id', 'name_kk', 'name_ru', 'name_en']).orderBy('name_ru').execute();
  return rows.map((row) => ({ id: row.id, nameKk: row.name_kk, nameRu: row.name_ru, nameEn: row.name_en }));
}

export async function insertOrganization(trx: Transaction<Database>, values: OrganizationValues): Promise<Organization> {
  return toOrganization(await trx.insertInto('organizations').values(values).returning(COLUMNS).executeTakeFirstOrThrow());
}

/** Null when an organization with the BIN is there already (perhaps committed meanwhile by another transaction). */
export async function insertOrganizationIfAbsent(trx: Transaction<Database>, values: OrganizationValues): Promise<Organization | null> {
  const row = await trx.insertInto('organizations').values(values).onConflict((c) => c.column('bin').doNothing()).returning(COLUMNS).executeTakeFirst();
  return row ? toOrganization(row) : null;
}

export async function updateOrganizationValues(trx: Transaction<Database>, id: string, values: OrganizationValues): Promise<void> {
  await trx.updateTable('organizations').set(values).where('id', '=', id).execute();
}

/** Every registered organization, by Russian name. */
export async function listOrganizationRefs(db: Executor): Promise<OrganizationRef[]> {
  const rows = await db.selectFrom('organizations').select(['id', 'bin', 'name_kk', 'name_ru', 'name_en']).orderBy('name_ru').orderBy('id').execute();
  return rows.map((row) => ({ id: row.id, bin: row.bin, nameKk: row.name_kk, nameRu: row.name_ru, nameEn: row.name_en }));
}
