/**
 * The administrators' changes to who may get in: status and role. They live with the sessions
 * because a change that takes access away ends the user's sessions in the same transaction.
 */
import type { Kysely } from 'kysely';
import { type Database, type Role, ROLES, type UserStatus } from '../../db/database.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { userActor } from '../audit/audit.service.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import { findOrganization } from '../organizations/organizations.repository.ts';
import { lockUser } from '../users/users.repository.ts';
import { updateUserAudited } from '../users/users.service.ts';
import { destroyUserSessions } from './auth.repository.ts';

function invalid(fields: FieldError[]): AppError {
  return new AppError('VALIDATION_FAILED', 'input rejected', { fields });
}

/** Deactivation ends every session of the user at once, in the same transaction. */
export async function deactivateUser(db: Kysely<Database>, input: { actor: AuthUser; userId: string; requestId?: string }): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'users.manage');
  if (input.actor.id === input.userId) throw invalid([{ field: 'status', rule: 'admin.users.errors.cannot_deactivate_self' }]);
  return db.transaction().execute(async (trx) => {
    const row = await lockUser(trx, input.userId);
    if (!row) throw new AppError('NOT_FOUND');
    if (row.status === 'deactivated') return { changed: false };
    const sessionsEnded = await destroyUserSessions(trx, row.id);
    await updateUserAudited(trx, {
      userId: row.id,
      changes: { status: 'deactivated' },
      actor: userActor(input.actor),
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
    if (!row) throw new AppError('NOT_FOUND');
    if (row.status !== 'deactivated') return { changed: false };
    const status: UserStatus = row.password_hash ? 'active' : 'pending_activation';
    await updateUserAudited(trx, {
      userId: row.id,
      changes: { status, failed_sign_ins: 0, locked_until: null },
      actor: userActor(input.actor),
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
    if (input.organizationId && !(await findOrganization(trx, input.organizationId, { lock: 'share' }))) {
      throw invalid([{ field: 'organization_id', rule: 'admin.users.errors.organization_unknown' }]);
    }
    const row = await lockUser(trx, input.userId);
    if (!row) throw new AppError('NOT_FOUND');
    if (row.role === role && row.organization_id === input.organizationId) return { changed: false };
    const sessionsEnded = input.actor.id === row.id ? 0 : await destroyUserSessions(trx, row.id);
    await updateUserAudited(trx, {
      userId: row.id,
      changes: { role, organization_id: input.organizationId },
      actor: userActor(input.actor),
      action: 'user.role_changed',
      before: { role: row.role, organizationId: row.organization_id },
      after: { role, organizationId: input.organizationId, sessionsEnded },
      requestId: input.requestId,
    });
    return { changed: true };
  });
}
