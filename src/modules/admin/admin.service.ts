import canonicalize from 'canonicalize';
import { type Kysely, sql, type Transaction } from 'kysely';
import {
  type Database,
  ORGANIZATION_KINDS,
  type OrganizationKind,
  type OrganizationRow,
  type Role,
  ROLES,
  type UserRow,
  type UserStatus,
} from '../../db/database.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { type Actor, recordAuditEvent } from '../audit/audit.service.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import { destroyUserSessions } from '../auth/session-store.ts';
import { buildKazakhstanCalendarData } from '../calendar/kz-calendar-data.ts';
import {
  type CalendarData,
  type CalendarHoliday,
  type CalendarDate,
  describeDay,
  type DayDescription,
  findCalendarDataProblems,
  FIRST_SUPPORTED_YEAR,
  holidaysOfYear,
  type YearData,
  yearExceptions,
} from '../calendar/working-days.ts';
import { normalizeBinInput, validateBin } from '../organizations/bin-iin.ts';
import { problemsAsFieldErrors } from './calendar-form.ts';

function actorOf(user: AuthUser): Actor {
  return { kind: 'user', userId: user.id, organizationId: user.organizationId };
}

/**
 * The time of the write itself, not of the transaction's start (now()): calendar readers cache by
 * the latest updated_at, which must grow with every save even when saves queue behind the lock.
 */
const writeTime = sql<never>`clock_timestamp()`;

function invalid(fields: FieldError[]): AppError {
  return new AppError('VALIDATION_FAILED', 'input rejected', { fields });
}

/** For ILIKE: the user's % and _ are literal characters. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// ---------------------------------------------------------------------------------------------
// Users

export const USERS_PAGE_SIZE = 50;

export interface OrganizationNames {
  id: string;
  nameKk: string;
  nameRu: string;
  nameEn: string | null;
}

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
}

export interface UserFilters {
  role?: Role | undefined;
  organizationId?: string | undefined;
  status?: UserStatus | undefined;
  search?: string | undefined;
}

function usersWithOrganizations(db: Kysely<Database> | Transaction<Database>) {
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
    fullName: [row.surname, row.given_name, row.patronymic].filter(Boolean).join(' '),
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

export async function listUsers(
  db: Kysely<Database>,
  input: { actor: AuthUser; filters: UserFilters; page: number },
): Promise<{ users: UserListItem[]; total: number; page: number; pageCount: number }> {
  requirePermission(input.actor, 'users.manage');
  const { role, organizationId, status, search } = input.filters;
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
  const pageCount = Math.max(1, Math.ceil(count / USERS_PAGE_SIZE));
  const page = Math.min(Math.max(1, input.page), pageCount);
  const rows = await query
    .orderBy('users.surname')
    .orderBy('users.given_name')
    .orderBy('users.email')
    .limit(USERS_PAGE_SIZE)
    .offset((page - 1) * USERS_PAGE_SIZE)
    .execute();
  return { users: rows.map(toUserListItem), total: count, page, pageCount };
}

export async function getUserDetails(db: Kysely<Database>, input: { actor: AuthUser; userId: string }): Promise<UserDetails> {
  requirePermission(input.actor, 'users.manage');
  const row = await usersWithOrganizations(db).where('users.id', '=', input.userId).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  const sessions = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('user_id', '=', row.id)
    .where('expires_at', '>', new Date())
    .executeTakeFirstOrThrow();
  return {
    ...toUserListItem(row),
    position: row.position,
    phone: row.phone,
    createdAt: row.created_at,
    secondFactorEnabledAt: row.totp_enabled_at,
    lockedUntil: row.locked_until && row.locked_until > new Date() ? row.locked_until : null,
    passwordSet: row.password_hash !== null,
    activeSessions: Number(sessions.count),
  };
}

async function lockUser(trx: Transaction<Database>, userId: string): Promise<UserRow> {
  const row = await trx.selectFrom('users').selectAll().where('id', '=', userId).forUpdate().executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  return row;
}

/** Deactivation ends every session of the user at once, in the same transaction. */
export async function deactivateUser(db: Kysely<Database>, input: { actor: AuthUser; userId: string; requestId?: string }): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'users.manage');
  if (input.actor.id === input.userId) throw invalid([{ field: 'status', rule: 'admin.users.errors.cannot_deactivate_self' }]);
  return db.transaction().execute(async (trx) => {
    const row = await lockUser(trx, input.userId);
    if (row.status === 'deactivated') return { changed: false };
    await trx.updateTable('users').set({ status: 'deactivated' }).where('id', '=', row.id).execute();
    const sessionsEnded = await destroyUserSessions(trx, row.id);
    await recordAuditEvent(trx, {
      actor: actorOf(input.actor),
      entityType: 'user',
      entityId: row.id,
      action: 'user.deactivated',
      before: { status: row.status },
      after: { status: 'deactivated', sessionsEnded },
      requestId: input.requestId,
    });
    return { changed: true };
  });
}

/** Back to active, or to "pending activation" for someone who never set a password. */
export async function reactivateUser(db: Kysely<Database>, input: { actor: AuthUser; userId: string; requestId?: string }): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'users.manage');
  return db.transaction().execute(async (trx) => {
    const row = await lockUser(trx, input.userId);
    if (row.status !== 'deactivated') return { changed: false };
    const status: UserStatus = row.password_hash ? 'active' : 'pending_activation';
    await trx.updateTable('users').set({ status, failed_sign_ins: 0, locked_until: null }).where('id', '=', row.id).execute();
    await recordAuditEvent(trx, {
      actor: actorOf(input.actor),
      entityType: 'user',
      entityId: row.id,
      action: 'user.reactivated',
      before: { status: row.status },
      after: { status },
      requestId: input.requestId,
    });
    return { changed: true };
  });
}

/**
 * Staff act for exactly one organization, so they need one; other roles may keep or drop theirs.
 * The user's sessions end: the next sign-in applies the new role (and its second-factor rule).
 */
export async function changeUserRole(
  db: Kysely<Database>,
  input: { actor: AuthUser; userId: string; role: string; organizationId: string | null; requestId?: string },
): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'users.manage');
  const role = input.role as Role;
  const errors: FieldError[] = [];
  if (!ROLES.includes(role)) errors.push({ field: 'role', rule: 'required' });
  else if (input.actor.id === input.userId && role !== input.actor.role) errors.push({ field: 'role', rule: 'admin.users.errors.cannot_demote_self' });
  if (role === 'staff' && !input.organizationId) errors.push({ field: 'organization_id', rule: 'admin.users.errors.organization_required' });
  if (errors.length) throw invalid(errors);
  return db.transaction().execute(async (trx) => {
    if (input.organizationId) {
      const organization = await trx.selectFrom('organizations').select('id').where('id', '=', input.organizationId).forShare().executeTakeFirst();
      if (!organization) throw invalid([{ field: 'organization_id', rule: 'admin.users.errors.organization_unknown' }]);
    }
    const row = await lockUser(trx, input.userId);
    if (row.role === role && row.organization_id === input.organizationId) return { changed: false };
    await trx.updateTable('users').set({ role, organization_id: input.organizationId }).where('id', '=', row.id).execute();
    const sessionsEnded = input.actor.id === row.id ? 0 : await destroyUserSessions(trx, row.id);
    await recordAuditEvent(trx, {
      actor: actorOf(input.actor),
      entityType: 'user',
      entityId: row.id,
      action: 'user.role_changed',
      before: { role: row.role, organizationId: row.organization_id },
      after: { role, organizationId: input.organizationId, sessionsEnded },
      requestId: input.requestId,
    });
    return { changed: true };
  });
}

/**
 * For a lost or stolen phone: the second factor is cleared and the user's sessions end (a
 * browser on that phone may still be signed in). Admins and reviewers enrol again at their next
 * sign-in. An administrator resetting their own keeps the session they are using.
 */
export async function resetUserSecondFactor(
  db: Kysely<Database>,
  input: { actor: AuthUser; userId: string; currentSid?: string; requestId?: string },
): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'users.manage');
  return db.transaction().execute(async (trx) => {
    const row = await lockUser(trx, input.userId);
    if (row.totp_secret === null && row.totp_enabled_at === null) return { changed: false };
    await trx.updateTable('users').set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null }).where('id', '=', row.id).execute();
    const sessionsEnded = await destroyUserSessions(trx, row.id, input.actor.id === row.id ? input.currentSid : undefined);
    await recordAuditEvent(trx, {
      actor: actorOf(input.actor),
      entityType: 'user',
      entityId: row.id,
      action: 'user.second_factor_reset',
      before: { secondFactor: row.totp_enabled_at !== null, enabledAt: row.totp_enabled_at },
      after: { secondFactor: false, sessionsEnded },
      requestId: input.requestId,
    });
    return { changed: true };
  });
}

// ---------------------------------------------------------------------------------------------
// Organizations

export interface OrganizationInput {
  bin: string;
  kind: string;
  name_kk: string;
  name_ru: string;
  name_en: string;
}

export interface OrganizationListItem extends OrganizationNames {
  bin: string;
  kind: OrganizationKind;
  users: number;
}

export const ORGANIZATION_NAME_MAX = 500;

interface CleanOrganization {
  bin: string;
  kind: OrganizationKind;
  name_kk: string;
  name_ru: string;
  name_en: string | null;
}

/** The form's values checked and tidied (BIN without spaces, names trimmed). */
export function checkOrganizationInput(input: OrganizationInput): { ok: true; value: CleanOrganization } | { ok: false; errors: FieldError[] } {
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

function organizationSnapshot(row: Pick<OrganizationRow, 'bin' | 'kind' | 'name_kk' | 'name_ru' | 'name_en'>): CleanOrganization {
  return { bin: row.bin, kind: row.kind, name_kk: row.name_kk, name_ru: row.name_ru, name_en: row.name_en };
}

export async function listOrganizations(db: Kysely<Database>, input: { actor: AuthUser; search?: string | undefined }): Promise<OrganizationListItem[]> {
  requirePermission(input.actor, 'organizations.read');
  let query = db
    .selectFrom('organizations')
    .leftJoin('users', 'users.organization_id', 'organizations.id')
    .select(['organizations.id', 'organizations.bin', 'organizations.kind', 'organizations.name_kk', 'organizations.name_ru', 'organizations.name_en'])
    .select((eb) => eb.fn.count<string>('users.id').as('users'))
    .groupBy('organizations.id');
  const term = input.search?.trim();
  if (term) {
    const pattern = containsPattern(term);
    const digits = normalizeBinInput(term);
    query = query.where((eb) =>
      eb.or([
        eb('organizations.name_kk', 'ilike', pattern),
        eb('organizations.name_ru', 'ilike', pattern),
        eb('organizations.name_en', 'ilike', pattern),
        ...(/^\d+$/.test(digits) ? [eb('organizations.bin', 'like', `${digits}%`)] : []),
      ]),
    );
  }
  const rows = await query.orderBy('organizations.name_ru').execute();
  return rows.map((row) => ({
    id: row.id,
    bin: row.bin,
    kind: row.kind,
    nameKk: row.name_kk,
    nameRu: row.name_ru,
    nameEn: row.name_en,
    users: Number(row.users),
  }));
}

/** Every organization by name, for choosing one (user filters and the role form). */
export async function listOrganizationChoices(db: Kysely<Database>, input: { actor: AuthUser }): Promise<OrganizationNames[]> {
  requirePermission(input.actor, 'users.manage');
  const rows = await db.selectFrom('organizations').select(['id', 'name_kk', 'name_ru', 'name_en']).orderBy('name_ru').execute();
  return rows.map((row) => ({ id: row.id, nameKk: row.name_kk, nameRu: row.name_ru, nameEn: row.name_en }));
}

export async function getOrganizationForEdit(db: Kysely<Database>, input: { actor: AuthUser; organizationId: string }): Promise<OrganizationInput> {
  requirePermission(input.actor, 'organizations.manage');
  const row = await db.selectFrom('organizations').selectAll().where('id', '=', input.organizationId).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND');
  return { bin: row.bin, kind: row.kind, name_kk: row.name_kk, name_ru: row.name_ru, name_en: row.name_en ?? '' };
}

const binTaken = (): AppError => invalid([{ field: 'bin', rule: 'admin.organizations.errors.bin_taken' }]);

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

async function ensureBinFree(trx: Transaction<Database>, bin: string, exceptId?: string): Promise<void> {
  let query = trx.selectFrom('organizations').select('id').where('bin', '=', bin);
  if (exceptId) query = query.where('id', '<>', exceptId);
  if (await query.executeTakeFirst()) throw binTaken();
}

export async function createOrganization(db: Kysely<Database>, input: { actor: AuthUser; values: OrganizationInput; requestId?: string }): Promise<string> {
  requirePermission(input.actor, 'organizations.manage');
  const checked = checkOrganizationInput(input.values);
  if (!checked.ok) throw invalid(checked.errors);
  try {
    return await db.transaction().execute(async (trx) => {
      await ensureBinFree(trx, checked.value.bin);
      const row = await trx.insertInto('organizations').values(checked.value).returningAll().executeTakeFirstOrThrow();
      await recordAuditEvent(trx, {
        actor: actorOf(input.actor),
        entityType: 'organization',
        entityId: row.id,
        action: 'organization.created',
        after: organizationSnapshot(row),
        requestId: input.requestId,
      });
      return row.id;
    });
  } catch (error) {
    // Two administrators adding the same BIN at once: the unique index decides.
    if (isUniqueViolation(error)) throw binTaken();
    throw error;
  }
}

export async function updateOrganization(
  db: Kysely<Database>,
  input: { actor: AuthUser; organizationId: string; values: OrganizationInput; requestId?: string },
): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'organizations.manage');
  const checked = checkOrganizationInput(input.values);
  if (!checked.ok) throw invalid(checked.errors);
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('organizations').selectAll().where('id', '=', input.organizationId).forUpdate().executeTakeFirst();
      if (!row) throw new AppError('NOT_FOUND');
      const before = organizationSnapshot(row);
      const after = checked.value;
      if (JSON.stringify(before) === JSON.stringify(after)) return { changed: false };
      await ensureBinFree(trx, after.bin, row.id);
      await trx.updateTable('organizations').set(after).where('id', '=', row.id).execute();
      await recordAuditEvent(trx, {
        actor: actorOf(input.actor),
        entityType: 'organization',
        entityId: row.id,
        action: 'organization.updated',
        before,
        after,
        requestId: input.requestId,
      });
      return { changed: true };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw binTaken();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Working-day calendar

/** The years the calendar table accepts (its check constraint) and the rules cover. */
export const CALENDAR_YEAR_LIMITS = { min: FIRST_SUPPORTED_YEAR, max: 2100 } as const;

export interface CalendarYearSummary {
  year: number;
  /** Null when the stored data cannot be computed (it never should: saving refuses such data). */
  weekdaysOff: number | null;
  weekendWorkdays: number | null;
  provisional: boolean;
  source: string;
  updatedAt: Date;
  updatedBy: string | null;
}

export interface CalendarYearDetails {
  year: number;
  data: YearData;
  updatedAt: Date;
  updatedBy: string | null;
  holidays: CalendarHoliday[];
  /** Weekdays not worked, with the reason. */
  weekdaysOff: DayDescription[];
  /** Saturdays and Sundays worked instead of a day off. */
  weekendWorkdays: DayDescription[];
}

async function calendarRows(db: Kysely<Database> | Transaction<Database>) {
  return db
    .selectFrom('calendar_years')
    .leftJoin('users', 'users.id', 'calendar_years.updated_by')
    .select(['calendar_years.year', 'calendar_years.data', 'calendar_years.updated_at', 'users.surname', 'users.given_name', 'users.patronymic'])
    .orderBy('calendar_years.year')
    .execute();
}

function calendarOf(rows: ReadonlyArray<{ year: number; data: unknown }>): CalendarData {
  return { years: Object.fromEntries(rows.map((row) => [row.year, row.data as YearData])) };
}

function personName(row: { surname: string | null; given_name: string | null; patronymic: string | null }): string | null {
  return row.surname === null ? null : [row.surname, row.given_name, row.patronymic].filter(Boolean).join(' ');
}

export async function listCalendarYears(db: Kysely<Database>, input: { actor: AuthUser }): Promise<CalendarYearSummary[]> {
  requirePermission(input.actor, 'calendar.manage');
  const rows = await calendarRows(db);
  const calendar = calendarOf(rows);
  return rows.map((row) => {
    const data = row.data as YearData;
    let counts: { weekdaysOff: number | null; weekendWorkdays: number | null } = { weekdaysOff: null, weekendWorkdays: null };
    try {
      const exceptions = yearExceptions(row.year, calendar);
      counts = { weekdaysOff: exceptions.weekdaysOff.length, weekendWorkdays: exceptions.weekendWorkdays.length };
    } catch {
      // Shown as unknown; the year's page names the problem when it is opened and saved.
    }
    return { year: row.year, ...counts, provisional: data.provisional, source: data.source, updatedAt: row.updated_at, updatedBy: personName(row) };
  });
}

export async function getCalendarYear(db: Kysely<Database>, input: { actor: AuthUser; year: number }): Promise<CalendarYearDetails> {
  requirePermission(input.actor, 'calendar.manage');
  const rows = await calendarRows(db);
  const row = rows.find((r) => r.year === input.year);
  if (!row) throw new AppError('NOT_FOUND');
  const calendar = calendarOf(rows);
  const describe = (dates: CalendarDate[]) => dates.map((date) => describeDay(date, calendar));
  const exceptions = yearExceptions(input.year, calendar);
  return {
    year: row.year,
    data: row.data as YearData,
    updatedAt: row.updated_at,
    updatedBy: personName(row),
    holidays: holidaysOfYear(input.year, calendar),
    weekdaysOff: describe(exceptions.weekdaysOff),
    weekendWorkdays: describe(exceptions.weekendWorkdays),
  };
}

function emptyYear(): YearData {
  return { kurbanAit: null, transfers: [], addedHolidays: [], removedHolidays: [], source: '', provisional: true };
}

/**
 * Adds a year: the data the portal was built with when it knows the year, else the statutory
 * rules alone, marked provisional until an administrator completes it.
 */
export async function addCalendarYear(db: Kysely<Database>, input: { actor: AuthUser; year: number; requestId?: string }): Promise<void> {
  requirePermission(input.actor, 'calendar.manage');
  const { year } = input;
  if (!Number.isInteger(year) || year < CALENDAR_YEAR_LIMITS.min || year > CALENDAR_YEAR_LIMITS.max) {
    throw invalid([{ field: 'year', rule: 'admin.calendar.errors.year_range', params: CALENDAR_YEAR_LIMITS }]);
  }
  const data = buildKazakhstanCalendarData().years[year] ?? emptyYear();
  await db.transaction().execute(async (trx) => {
    // One calendar edit at a time: the checks below look at every year.
    await sql`LOCK TABLE calendar_years IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
    const rows = await trx.selectFrom('calendar_years').select(['year', 'data']).execute();
    if (rows.some((r) => r.year === year)) throw invalid([{ field: 'year', rule: 'admin.calendar.errors.year_exists', params: { year } }]);
    const problems = findCalendarDataProblems({ years: { ...calendarOf(rows).years, [year]: data } });
    if (problems.length > 0) {
      throw invalid(problems.map((p) => ({ field: 'year', rule: 'admin.calendar.errors.year_conflicts', params: { year: p.year, value: p.value } })));
    }
    await trx.insertInto('calendar_years').values({ year, data: JSON.stringify(data), updated_at: writeTime, updated_by: input.actor.id }).execute();
    await recordAuditEvent(trx, {
      actor: actorOf(input.actor),
      entityType: 'calendar_year',
      entityId: String(year),
      action: 'calendar_year.created',
      after: data,
      requestId: input.requestId,
    });
  });
}

/**
 * Replaces a year's data after checking it, together with every other year, against the rules.
 * `expectedUpdatedAt` is the version the administrator edited: if someone saved meanwhile the
 * save is refused rather than silently undoing their change.
 */
export async function updateCalendarYear(
  db: Kysely<Database>,
  input: { actor: AuthUser; year: number; data: YearData; expectedUpdatedAt: string; requestId?: string },
): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'calendar.manage');
  return db.transaction().execute(async (trx) => {
    await sql`LOCK TABLE calendar_years IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
    const rows = await trx.selectFrom('calendar_years').select(['year', 'data', 'updated_at']).execute();
    const row = rows.find((r) => r.year === input.year);
    if (!row) throw new AppError('NOT_FOUND');
    if (row.updated_at.toISOString() !== input.expectedUpdatedAt) {
      throw invalid([{ field: 'form', rule: 'admin.calendar.errors.changed_meanwhile' }]);
    }
    const problems = findCalendarDataProblems({ years: { ...calendarOf(rows).years, [input.year]: input.data } });
    if (problems.length > 0) throw invalid(problemsAsFieldErrors(input.year, input.data, problems));
    const before = row.data as YearData;
    // jsonb keeps keys in its own order: compare canonical forms.
    if (canonicalize(before) === canonicalize(input.data)) return { changed: false };
    await trx
      .updateTable('calendar_years')
      .set({ data: JSON.stringify(input.data), updated_at: writeTime, updated_by: input.actor.id })
      .where('year', '=', input.year)
      .execute();
    await recordAuditEvent(trx, {
      actor: actorOf(input.actor),
      entityType: 'calendar_year',
      entityId: String(input.year),
      action: 'calendar_year.updated',
      before,
      after: input.data,
      requestId: input.requestId,
    });
    return { changed: true };
  });
}
