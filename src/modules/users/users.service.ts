import type { Kysely, Transaction } from 'kysely';
import type { Database, UserRow } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { normalizeBinInput, validateIin } from '../organizations/bin-iin.ts';
import { type Actor, recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import {
  findUserByEmail,
  findUserDetails,
  insertUser,
  listUsersPage,
  updateUser,
  type UserChanges,
  type UserDetails,
  type UserFilters,
  type UserListItem,
  USERS_EMAIL_INDEX,
  USERS_IIN_INDEX,
  lockUser,
} from './users.repository.ts';

export const USERS_PAGE_SIZE = 50;

/**
 * One change to a user's record together with its audit event, in the caller's transaction: the
 * shape of every change to a user (sign-in counters, password, second factor, status, role).
 */
export async function updateUserAudited(
  trx: Transaction<Database>,
  input: { userId: string; changes: UserChanges; actor: Actor; action: string; before?: unknown; after?: unknown; requestId?: string | undefined },
): Promise<UserRow> {
  const updated = await updateUser(trx, input.userId, input.changes);
  await recordAuditEvent(trx, {
    actor: input.actor,
    entityType: 'user',
    entityId: input.userId,
    action: input.action,
    before: input.before,
    after: input.after,
    requestId: input.requestId,
  });
  return updated;
}

/**
 * An administrator sets (or, with an empty value, removes) the IIN a user signs in with ЭЦП by:
 * 12 digits with a valid check digit and date of birth, and no other account's. Audited.
 */
export async function setUserIin(db: Kysely<Database>, input: { actor: AuthUser; userId: string; iin: string; requestId?: string }): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'users.manage');
  const raw = normalizeBinInput(input.iin);
  let iin: string | null = null;
  if (raw !== '') {
    const checked = validateIin(raw);
    if (!checked.ok) throw iinRejected({ field: 'iin', rule: `admin.users.errors.iin_${checked.reason}` });
    iin = checked.value;
  }
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await lockUser(trx, input.userId);
      if (!row) throw new AppError('NOT_FOUND');
      if (row.iin === iin) return { changed: false };
      await updateUserAudited(trx, {
        userId: row.id,
        changes: { iin },
        actor: userActor(input.actor),
        action: 'user.iin_changed',
        before: { iin: row.iin },
        after: { iin },
        requestId: input.requestId,
      });
      return { changed: true };
    });
  } catch (error) {
    if (isUniqueViolation(error, USERS_IIN_INDEX)) throw iinRejected({ field: 'iin', rule: 'admin.users.errors.iin_in_use' });
    throw error;
  }
}

function iinRejected(error: FieldError): AppError {
  return new AppError('VALIDATION_FAILED', 'IIN rejected', { fields: [error] });
}

export async function listUsers(
  db: Kysely<Database>,
  input: { actor: AuthUser; filters: UserFilters; page: number },
): Promise<{ users: UserListItem[]; total: number; page: number; pageCount: number }> {
  requirePermission(input.actor, 'users.manage');
  return listUsersPage(db, input.filters, input.page, USERS_PAGE_SIZE);
}

export async function getUserDetails(db: Kysely<Database>, input: { actor: AuthUser; userId: string }): Promise<UserDetails> {
  requirePermission(input.actor, 'users.manage');
  const details = await findUserDetails(db, input.userId);
  if (!details) throw new AppError('NOT_FOUND');
  return details;
}

const emailInUse = (): AppError => new AppError('CONFLICT', 'the e-mail already has an account', { reason: 'email_in_use' });
// The IIN finds the account at sign-in with ЭЦП, so it belongs to one account only.
const iinInUse = (): AppError => new AppError('CONFLICT', 'the IIN already belongs to another account', { reason: 'iin_in_use' });

export interface StaffAccountInput {
  email: string;
  surname: string;
  given_name: string;
  patronymic: string | null;
  position: string;
  phone: string;
  iin: string;
  organizationId: string;
  language: string;
  /** The account request the person was approved in, for the audit log. */
  fromAccountRequest: string;
}

/**
 * A staff account waiting for activation (an approved person of an account request). A
 * deactivated account with the same e-mail (the login) is taken up again rather than duplicated;
 * an account in use is a CONFLICT (details.reason "email_in_use").
 */
export async function openStaffAccount(trx: Transaction<Database>, input: StaffAccountInput, actor: AuthUser, requestId: string | undefined): Promise<string> {
  const existing = await findUserByEmail(trx, input.email, { lock: true });
  if (existing && existing.status !== 'deactivated') throw emailInUse();
  const account = {
    surname: input.surname,
    given_name: input.given_name,
    patronymic: input.patronymic,
    position: input.position,
    phone: input.phone,
    iin: input.iin,
    role: 'staff' as const,
    organization_id: input.organizationId,
    status: 'pending_activation' as const,
    preferred_language: input.language,
    password_hash: null,
  };
  const after = { email: input.email, role: 'staff', organizationId: input.organizationId, status: 'pending_activation', fromAccountRequest: input.fromAccountRequest };
  if (existing) {
    try {
      await updateUserAudited(trx, {
        userId: existing.id,
        changes: { ...account, totp_secret: null, totp_enabled_at: null, totp_last_step: null, failed_sign_ins: 0, locked_until: null, password_changed_at: null },
        actor: userActor(actor),
        action: 'user.reinstated',
        before: { role: existing.role, organizationId: existing.organization_id, status: existing.status },
        after,
        requestId,
      });
    } catch (error) {
      if (isUniqueViolation(error, USERS_IIN_INDEX)) throw iinInUse();
      throw error;
    }
    return existing.id;
  }
  let created: UserRow;
  try {
    created = await insertUser(trx, { ...account, email: input.email });
  } catch (error) {
    if (isUniqueViolation(error, USERS_EMAIL_INDEX)) throw emailInUse();
    if (isUniqueViolation(error, USERS_IIN_INDEX)) throw iinInUse();
    throw error;
  }
  await recordAuditEvent(trx, { actor: userActor(actor), entityType: 'user', entityId: created.id, action: 'user.created', after, requestId });
  return created.id;
}
