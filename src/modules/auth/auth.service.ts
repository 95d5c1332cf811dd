import type { Kysely, Transaction } from 'kysely';
import type { Database, UserRow } from '../../db/database.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { enqueueMail } from '../notifications/outbox.service.ts';
import { normalizeEmailAddress } from '../users/contacts.ts';
import { hashPassword, verifyPassword } from '../users/passwords.ts';
import { findOwnAccount, findUserByEmail, findUserById, lockUser, type OwnAccount } from '../users/users.repository.ts';
import { updateUserAudited } from '../users/users.service.ts';
import { passwordProblem } from './password-policy.ts';
import { type AuthUser, requirePermission, toAuthUser } from '../../access/permissions.ts';
import { consumeToken, destroyUserSessions, findValidToken, issueAuthToken, TOKEN_LIFETIME_MS } from './auth.repository.ts';

export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;

// Verifying against this keeps a sign-in for an unknown e-mail as slow as one for a known e-mail.
const DUMMY_HASH = await hashPassword('timing-equalizer-not-a-password');

/**
 * One failed sign-in step (a wrong password or a wrong one-time code) for a known user: counts it,
 * locks the account for 15 minutes at the fifth in a row, and audits both; returns the end of the
 * lock when this failure caused one. Runs inside the caller's transaction so the count is exact.
 */
export async function countFailedSignIn(
  trx: Transaction<Database>,
  row: Pick<UserRow, 'id' | 'failed_sign_ins' | 'locked_until'>,
  now: Date,
  event: { action: string; after: Record<string, unknown>; requestId?: string },
): Promise<Date | null> {
  const anonymous = { kind: 'system', label: 'anonymous' } as const;
  const failures = row.failed_sign_ins + 1;
  const lock = failures >= MAX_FAILED_SIGN_INS;
  const lockedUntil = new Date(now.getTime() + LOCKOUT_MS);
  await updateUserAudited(trx, {
    userId: row.id,
    changes: { failed_sign_ins: lock ? 0 : failures, locked_until: lock ? lockedUntil : row.locked_until },
    actor: anonymous,
    action: event.action,
    after: { ...event.after, consecutiveFailures: failures },
    requestId: event.requestId,
  });
  if (!lock) return null;
  await recordAuditEvent(trx, { actor: anonymous, entityType: 'user', entityId: row.id, action: 'user.locked', after: { lockedUntil }, requestId: event.requestId });
  return lockedUntil;
}

export type SignInResult =
  | { ok: true; user: AuthUser; secondFactorRequired: boolean; secondFactorEnrolled: boolean }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'locked'; lockedUntil: Date };

/** Roles that may not work without a second factor. */
export const SECOND_FACTOR_REQUIRED_ROLES = new Set(['admin', 'reviewer']);

/**
 * Checks e-mail and password. Unknown e-mail, wrong password and inactive account all answer
 * "invalid" alike; five failures in a row lock the account for 15 minutes. Every attempt is audited.
 */
export async function signIn(db: Kysely<Database>, input: { email: string; password: string; requestId?: string }, now = new Date()): Promise<SignInResult> {
  const email = normalizeEmailAddress(input.email);
  const row = await findUserByEmail(db, email);
  const anonymous = { kind: 'system', label: 'anonymous' } as const;

  if (row?.locked_until && row.locked_until > now) {
    await db.transaction().execute((trx) =>
      recordAuditEvent(trx, { actor: anonymous, entityType: 'user', entityId: row.id, action: 'sign_in.refused_locked', requestId: input.requestId }),
    );
    return { ok: false, reason: 'locked', lockedUntil: row.locked_until };
  }
  const usable = row && row.status === 'active' && row.password_hash;
  const passwordOk = await verifyPassword(usable ? row.password_hash! : DUMMY_HASH, input.password);
  if (!row || !usable || !passwordOk) {
    return db.transaction().execute(async (trx): Promise<SignInResult> => {
      if (!row) {
        await recordAuditEvent(trx, { actor: anonymous, entityType: 'sign_in', entityId: email, action: 'sign_in.failed', after: { reason: 'unknown_email' }, requestId: input.requestId });
        return { ok: false, reason: 'invalid' };
      }
      // Re-read under a row lock: concurrent failures must each count.
      const current = (await lockUser(trx, row.id))!;
      const lockedUntil = await countFailedSignIn(trx, current, now, {
        action: 'sign_in.failed',
        after: { reason: usable ? 'wrong_password' : 'inactive_account' },
        requestId: input.requestId,
      });
      if (lockedUntil) return { ok: false, reason: 'locked', lockedUntil };
      return { ok: false, reason: 'invalid' };
    });
  }
  const user = toAuthUser(row);
  const secondFactorEnrolled = row.totp_enabled_at !== null;
  const secondFactorRequired = secondFactorEnrolled || SECOND_FACTOR_REQUIRED_ROLES.has(row.role);
  await db.transaction().execute(async (trx) => {
    // With a second factor still to come, the failure count stays: otherwise re-entering the known
    // password between wrong codes would reset it and the lockout would never trigger.
    if (secondFactorRequired) {
      await recordAuditEvent(trx, { actor: userActor(user), entityType: 'user', entityId: user.id, action: 'sign_in.password_accepted', requestId: input.requestId });
    } else {
      await updateUserAudited(trx, {
        userId: user.id,
        changes: { failed_sign_ins: 0, locked_until: null, last_sign_in_at: now },
        actor: userActor(user),
        action: 'sign_in.succeeded',
        requestId: input.requestId,
      });
    }
  });
  return { ok: true, user, secondFactorRequired, secondFactorEnrolled };
}

export async function recordSignOut(db: Kysely<Database>, user: AuthUser, everywhere: boolean, requestId?: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (everywhere) await destroyUserSessions(trx, user.id);
    await recordAuditEvent(trx, {
      actor: userActor(user),
      entityType: 'user',
      entityId: user.id,
      action: everywhere ? 'sign_out.everywhere' : 'sign_out',
      requestId,
    });
  });
}

function passwordErrors(password: string, confirmation: string, email: string): FieldError[] {
  const errors: FieldError[] = [];
  const problem = passwordProblem(password, email);
  if (problem) errors.push({ field: 'password', rule: `password_${problem}`, params: { min: 12 } });
  else if (password !== confirmation) errors.push({ field: 'password_confirmation', rule: 'password_mismatch' });
  return errors;
}

async function setPasswordWithToken(
  db: Kysely<Database>,
  input: { token: string; password: string; confirmation: string; requestId?: string },
  purpose: 'activation' | 'password_reset',
): Promise<AuthUser> {
  const found = await findValidToken(db, input.token, purpose);
  if (!found) throw new AppError('NOT_FOUND', 'link invalid or expired');
  const row = (await findUserById(db, found.userId))!;
  const errors = passwordErrors(input.password, input.confirmation, row.email);
  if (errors.length) throw new AppError('VALIDATION_FAILED', 'password rejected', { fields: errors });
  if (row.status === 'deactivated') throw new AppError('NOT_FOUND', 'account deactivated');
  const passwordHash = await hashPassword(input.password);
  return db.transaction().execute(async (trx) => {
    if (!(await consumeToken(trx, found.tokenHash))) throw new AppError('NOT_FOUND', 'link already used');
    await destroyUserSessions(trx, row.id);
    const user = toAuthUser(row);
    await updateUserAudited(trx, {
      userId: row.id,
      changes: { password_hash: passwordHash, password_changed_at: new Date(), status: 'active', failed_sign_ins: 0, locked_until: null },
      actor: userActor(user),
      action: purpose === 'activation' ? 'user.activated' : 'user.password_reset',
      before: { status: row.status },
      after: { status: 'active' },
      requestId: input.requestId,
    });
    await enqueueMail(trx, { to: user.email, template: 'account_activated', params: { fullName: user.fullName }, entity: { type: 'user', id: user.id } });
    return user;
  });
}

export function activateAccount(db: Kysely<Database>, input: { token: string; password: string; confirmation: string; requestId?: string }): Promise<AuthUser> {
  return setPasswordWithToken(db, input, 'activation');
}

export function resetPassword(db: Kysely<Database>, input: { token: string; password: string; confirmation: string; requestId?: string }): Promise<AuthUser> {
  return setPasswordWithToken(db, input, 'password_reset');
}

export async function isTokenValid(db: Kysely<Database>, token: string, purpose: 'activation' | 'password_reset'): Promise<boolean> {
  return (await findValidToken(db, token, purpose)) !== null;
}

/**
 * Starts a password reset. Whatever the e-mail, the caller shows the same answer; only an active
 * account gets a message.
 */
export async function requestPasswordReset(db: Kysely<Database>, input: { email: string; baseUrl: string; requestId?: string }): Promise<void> {
  const email = normalizeEmailAddress(input.email);
  const row = await findUserByEmail(db, email, { activeOnly: true });
  await db.transaction().execute(async (trx) => {
    if (!row) {
      await recordAuditEvent(trx, { actor: { kind: 'system', label: 'anonymous' }, entityType: 'sign_in', entityId: email, action: 'password_reset.requested_unknown', requestId: input.requestId });
      return;
    }
    const token = await issueAuthToken(trx, row.id, 'password_reset');
    await recordAuditEvent(trx, { actor: { kind: 'system', label: 'anonymous' }, entityType: 'user', entityId: row.id, action: 'password_reset.requested', requestId: input.requestId });
    await enqueueMail(trx, {
      to: row.email,
      template: 'password_reset',
      params: { fullName: toAuthUser(row).fullName, link: `${input.baseUrl}/password/reset/${token}`, expiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS.password_reset) },
      entity: { type: 'user', id: row.id },
    });
  });
}

export async function changePassword(
  db: Kysely<Database>,
  actor: AuthUser,
  input: { current: string; password: string; confirmation: string; currentSid?: string; requestId?: string },
): Promise<void> {
  const row = (await findUserById(db, actor.id))!;
  if (!row.password_hash || !(await verifyPassword(row.password_hash, input.current))) {
    throw new AppError('VALIDATION_FAILED', 'current password wrong', { fields: [{ field: 'current', rule: 'password_wrong' }] });
  }
  const errors = passwordErrors(input.password, input.confirmation, row.email);
  if (errors.length) throw new AppError('VALIDATION_FAILED', 'password rejected', { fields: errors });
  const passwordHash = await hashPassword(input.password);
  await db.transaction().execute(async (trx) => {
    await destroyUserSessions(trx, actor.id, input.currentSid);
    await updateUserAudited(trx, {
      userId: actor.id,
      changes: { password_hash: passwordHash, password_changed_at: new Date() },
      actor: userActor(actor),
      action: 'user.password_changed',
      requestId: input.requestId,
    });
  });
}

/** What the account page shows the signed-in user about their own account. */
export async function getOwnAccount(db: Kysely<Database>, actor: AuthUser | null | undefined): Promise<OwnAccount> {
  requirePermission(actor, 'account.self');
  return findOwnAccount(db, actor.id);
}
