/**
 * All SQL on `users`, the only writer of the table. Reads may join the tables of other modules
 * (organizations' names, the number of open sessions).
 */
import { type Insertable, type Kysely, sql, type Transaction, type Updateable } from 'kysely';
import type { Database, Role, UserRow, UsersTable, UserStatus } from '../../db/database.ts';
import { containsPattern } from '../../db/like-pattern.ts';
import type { OrganizationNames } from '../organizations/organizations.repository.ts';
import { type AuthUser, personName, toAuthUser } from '../../access/permissions.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export type UserChanges = Updateable<UsersTable>;
export type NewUser = Insertable<UsersTable>;

export const USERS_EMAIL_INDEX = 'users_email_unique';
export const USERS_IIN_INDEX = 'users_iin_unique';

export interface UserListItem {
  id: string;
  email: string;
  fullName: string;
  role: Role;
  status: UserStatus;
  organization: OrganizationNames | null;
  secondFactor: boolean;
  lastSignInAt: Date | null;
}

export interface UserDetails extends UserListItem {
  position: string | null;
  phone: string | null;
  createdAt: Date;
  secondFactorEnabledAt: Date | null;
  lockedUntil: Date | null;
  passwordSet: boolean;
  activeSessions: number;
  /** For sign-in with ЭЦП: the IIN in the user's certificates. */
  iin: string | null;
}

export interface UserFilters {
  role?: Role | undefined;
  organizationId?: string | undefined;
  status?: UserStatus | undefined;
  search?: string | undefined;
}

/** What the account page shows its owner. */
export interface OwnAccount {
  email: string;
  role: Role;
  position: string | null;
  totp_enabled_at: Date | null;
  last_sign_in_at: Date | null;
  password_changed_at: Date | null;
  name_kk: string | null;
  name_ru: string | null;
  name_en: string | null;
}

/** The account with this IIN (unique), with its organization's BIN for an employee's certificate. */
export function findUserByIin(db: Executor, iin: string): Promise<(UserRow & { organization_bin: string | null }) | undefined> {
  return db
    .selectFrom('users')
    .leftJoin('organizations', 'organizations.id', 'users.organization_id')
    .selectAll('users')
    .select('organizations.bin as organization_bin')
    .where('users.iin', '=', iin)
    .executeTakeFirst();
}

export function findUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The user's row, locked until the transaction ends: concurrent changes to one user queue. */
export function lockUser(trx: Transaction<Database>, id: string): Promise<UserRow | undefined> {
  return trx.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** By login (already normalized); `activeOnly` leaves out accounts pending activation or deactivated. */
export function findUserByEmail(db: Executor, email: string, options: { activeOnly?: boolean; lock?: boolean } = {}): Promise<UserRow | undefined> {
  let query = db.selectFrom('users').selectAll().where('email', '=', email);
  if (options.activeOnly) query = query.where('status', '=', 'active');
  if (options.lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function loadActiveUser(db: Executor, id: string): Promise<AuthUser | null> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'role', 'organization_id', 'surname', 'given_name', 'patronymic'])
    .where('id', '=', id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return row ? toAuthUser(row) : null;
}

/** The logins among `emails` held by an account that is not deactivated. */
export async function emailsOfUndeactivatedUsers(db: Executor, emails: string[]): Promise<string[]> {
  if (emails.length === 0) return [];
  const rows = await db.selectFrom('users').select('email').where('email', 'in', emails).where('status', '<>', 'deactivated').execute();
  return rows.map((row) => row.email);
}

export function findSecondFactorFields(db: Executor, userId: string): Promise<Pick<UserRow, 'email' | 'role' | 'totp_enabled_at' | 'totp_secret'> | undefined> {
  return db
    .selectFrom('users')
    .select(['email', 'role', 'totp_enabled_at', 'totp_secret'])
    .where('id', '=', userId)
    .where('status', '=', 'active')
    .executeTakeFirst();
}

export function findOwnAccount(db: Executor, userId: string): Promise<OwnAccount> {
  return db
    .selectFrom('users')
    .leftJoin('organizations', 'organizations.id', 'users.organization_id')
    .select(['users.email', 'users.role', 'users.position', 'users.totp_enabled_at', 'users.last_sign_in_at', 'users.password_changed_at', 'organizations.name_kk', 'organizations.name_ru', 'organizations.name_en'])
    .where('users.id', '=', userId)
    .executeTakeFirstOrThrow();
}

export function updateUser(db: Executor, id: string, changes: UserChanges): Promise<UserRow> {
  return db.updateTable('users').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export function insertUser(trx: Transaction<Database>, values: NewUser): Promise<UserRow> {
  return trx.insertInto('users').values(values).returningAll().executeTakeFirstOrThrow();
}

/** Undefined when the e-mail already has an account (which is left as it is). */
export function insertUserIfAbsent(trx: Transaction<Database>, values: NewUser): Promise<UserRow | undefined> {
  return trx.insertInto('users').values(values).onConflict((c) => c.column('email').doNothing()).returningAll().executeTakeFirst();
}

// ---------------------------------------------------------------------------------------------
// The administrators' list

function usersWithOrganizations(db: Executor) {
  return db
    .selectFrom('users')
    .leftJoin('organizations', 'organizations.id', 'users.organization_id')
    .selectAll('users')
    .select(['organizations.name_kk as org_name_kk', 'organizations.name_ru as org_name_ru', 'organizations.name_en as org_name_en']);
}

type UserWithOrganization = UserRow & { org_name_kk: string | null; org_name_ru: string | null; org_name_en: string | null };

function toUserListItem(row: UserWithOrganization): UserListItem {
  return {
    id: row.id,
    email: row.email,
    fullName: personName(row) ?? '',
    role: row.role,
    status: row.status,
    organization:
      row.organization_id && row.org_name_ru !== null
        ? { id: row.organization_id, nameKk: row.org_name_kk ?? row.org_name_ru, nameRu: row.org_name_ru, nameEn: row.org_name_en }
        : null,
    secondFactor: row.totp_enabled_at !== null,
    lastSignInAt: row.last_sign_in_at,
  };
}

export async function listUsersPage(db: Executor, filters: UserFilters, page: number, pageSize: number): Promise<{ users: UserListItem[]; total: number; page: number; pageCount: number }> {
  const { role, organizationId, status, search } = filters;
  let query = usersWithOrganizations(db);
  if (role) query = query.where('users.role', '=', role);
  if (organizationId) query = query.where('users.organization_id', '=', organizationId);
  if (status) query = query.where('users.status', '=', status);
  const term = search?.trim();
  if (term) {
    const pattern = containsPattern(term);
    query = query.where((eb) =>
      eb.or([
        eb('users.email', 'ilike', pattern),
        eb(sql<string>`concat_ws(' ', users.surname, users.given_name, users.patronymic)`, 'ilike', pattern),
      ]),
    );
  }
  const { total } = await query
    .clearSelect()
    .select((eb) => eb.fn.countAll<string>().as('total'))
    .executeTakeFirstOrThrow();
  const count = Number(total);
  const pageCount = Math.max(1, Math.ceil(count / pageSize));
  const shown = Math.min(Math.max(1, page), pageCount);
  const rows = await query
    .orderBy('users.surname')
    .orderBy('users.given_name')
    .orderBy('users.email')
    .limit(pageSize)
    .offset((shown - 1) * pageSize)
    .execute();
  return { users: rows.map(toUserListItem), total: count, page: shown, pageCount };
}

export async function findUserDetails(db: Executor, userId: string, now = new Date()): Promise<UserDetails | null> {
  const row = await usersWithOrganizations(db).where('users.id', '=', userId).executeTakeFirst();
  if (!row) return null;
  const sessions = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('user_id', '=', row.id)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return {
    ...toUserListItem(row),
    position: row.position,
    phone: row.phone,
    createdAt: row.created_at,
    secondFactorEnabledAt: row.totp_enabled_at,
    lockedUntil: row.locked_until && row.locked_until > now ? row.locked_until : null,
    passwordSet: row.password_hash !== null,
    activeSessions: Number(sessions.count),
    iin: row.iin,
  };
}
