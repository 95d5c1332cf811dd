import { timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';
import type { Database, UserRow } from '../../db/database.ts';
import { AppError } from '../../errors.ts';
import { type Actor, recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { findSecondFactorFields, lockUser } from '../users/users.repository.ts';
import { updateUserAudited } from '../users/users.service.ts';
import { destroyUserSessions } from './auth.repository.ts';
import { countFailedSignIn, SECOND_FACTOR_REQUIRED_ROLES } from './auth.service.ts';
import { type AuthUser, requirePermission, toAuthUser } from '../../access/permissions.ts';

// ---------------------------------------------------------------------------------------------
// TOTP (RFC 6238) with the parameters every authenticator app understands: HMAC-SHA1, 6 digits,
// 30-second steps, a 160-bit secret. No I/O here: the clock and the last used step are passed in.

export const TOTP_ISSUER = 'Architecture portal';
const TOTP_DIGITS = 6;
const TOTP_PERIOD_S = 30;
const TOTP_ALGORITHM = 'SHA1';
const SECRET_BYTES = 20;
/** Steps accepted either side of the current one, for clocks a little off and slow typists. */
const ACCEPTED_DRIFT_STEPS = 1;

export type TotpCheck =
  | { ok: true; step: number }
  /** Not six digits: a typo, not a guess, so it does not count towards the lockout. */
  | { ok: false; reason: 'malformed' }
  | { ok: false; reason: 'wrong' }
  /** A right code of a step already used (RFC 6238 §5.2: each code is accepted once only). */
  | { ok: false; reason: 'replayed' };

export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: SECRET_BYTES }).base32;
}

/** "123 456", "123-456" and " 123456 " are what people type or paste for 123456. */
export function normalizeTotpCode(raw: string): string {
  return raw.replace(/[\s-]+/gu, '');
}

export function totpStepAt(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_S);
}

function codeForStep(secret: string, step: number): string {
  return OTPAuth.HOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: TOTP_ALGORITHM, digits: TOTP_DIGITS, counter: step });
}

function sameCode(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Checks a code against the steps from one before to one after the current one. Of the steps it
 * matches, the latest one not yet used wins; a code whose every matching step is at or before
 * `lastStep` is a replay.
 */
export function checkTotpCode(input: { secret: string; code: string; nowMs: number; lastStep: number | null }): TotpCheck {
  const code = normalizeTotpCode(input.code);
  if (!/^\d{6}$/.test(code)) return { ok: false, reason: 'malformed' };
  const current = totpStepAt(input.nowMs);
  const matching: number[] = [];
  for (let step = current + ACCEPTED_DRIFT_STEPS; step >= current - ACCEPTED_DRIFT_STEPS; step--) {
    if (sameCode(codeForStep(input.secret, step), code)) matching.push(step);
  }
  if (matching.length === 0) return { ok: false, reason: 'wrong' };
  const fresh = matching.find((step) => input.lastStep === null || step > input.lastStep);
  return fresh === undefined ? { ok: false, reason: 'replayed' } : { ok: true, step: fresh };
}

export interface TotpEnrolment {
  /** The base32 secret in groups of four, for typing into an app by hand. */
  secretForTyping: string;
  /** otpauth://totp/… as the QR code carries it. */
  uri: string;
  /** The QR code as an SVG data: URL (the CSP allows data: images). */
  qrCodeDataUrl: string;
}

export async function describeEnrolment(secret: string, email: string): Promise<TotpEnrolment> {
  const uri = new OTPAuth.TOTP({
    issuer: TOTP_ISSUER,
    label: email,
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_S,
  }).toString();
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return {
    secretForTyping: secret.replace(/(.{4})(?=.)/g, '$1 '),
    uri,
    qrCodeDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Use cases

const anonymous: Actor = { kind: 'system', label: 'anonymous' };

function rowActor(row: Pick<UserRow, 'id' | 'organization_id'>): Actor {
  return userActor({ id: row.id, organizationId: row.organization_id });
}

const SECOND_FACTOR_CLEARED = { totp_secret: null, totp_enabled_at: null, totp_last_step: null } as const;

function lastStepOf(row: Pick<UserRow, 'totp_last_step'>): number | null {
  return row.totp_last_step === null ? null : Number(row.totp_last_step);
}

export interface SecondFactorState {
  email: string;
  enrolled: boolean;
  /** The role may not work without a second factor (admins and reviewers). */
  required: boolean;
  enabledAt: Date | null;
}

function stateOf(row: Pick<UserRow, 'email' | 'role' | 'totp_enabled_at' | 'totp_secret'>): SecondFactorState {
  return {
    email: row.email,
    enrolled: row.totp_enabled_at !== null && row.totp_secret !== null,
    required: SECOND_FACTOR_REQUIRED_ROLES.has(row.role),
    enabledAt: row.totp_enabled_at,
  };
}

/** The second-factor state of an active user, or null when there is no such active user. */
export async function findSecondFactorState(db: Kysely<Database>, userId: string): Promise<SecondFactorState | null> {
  const row = await findSecondFactorFields(db, userId);
  return row ? stateOf(row) : null;
}

export type SignInCodeResult =
  | { ok: true; user: AuthUser }
  | { ok: false; reason: 'malformed' | 'wrong' | 'replayed' }
  | { ok: false; reason: 'locked'; lockedUntil: Date }
  /** No active user, or (for the code check) no second factor to check, or (for enrolment) one already there. */
  | { ok: false; reason: 'unavailable' };

type Refusal = Extract<SignInCodeResult, { ok: false }>;

/**
 * The signing-in user's row, locked for the rest of the transaction; or the refusal of a locked or
 * inactive account, before any code is looked at.
 */
async function lockSigningInUser(trx: Transaction<Database>, userId: string, now: Date, requestId?: string): Promise<{ ok: true; user: UserRow } | Refusal> {
  const row = await lockUser(trx, userId);
  if (!row || row.status !== 'active') return { ok: false, reason: 'unavailable' };
  if (row.locked_until && row.locked_until > now) {
    await recordAuditEvent(trx, { actor: anonymous, entityType: 'user', entityId: row.id, action: 'sign_in.refused_locked', requestId });
    return { ok: false, reason: 'locked', lockedUntil: row.locked_until };
  }
  return { ok: true, user: row };
}

/** A step of signing in, in one transaction, on the user's locked row once the account may sign in. */
function signInStep(
  db: Kysely<Database>,
  input: { userId: string; requestId?: string },
  now: Date,
  step: (trx: Transaction<Database>, user: UserRow) => Promise<SignInCodeResult>,
): Promise<SignInCodeResult> {
  return db.transaction().execute(async (trx) => {
    const locked = await lockSigningInUser(trx, input.userId, now, input.requestId);
    return locked.ok ? step(trx, locked.user) : locked;
  });
}

/**
 * The second step of signing in. A wrong or replayed code counts towards the same lockout as a
 * wrong password (five in a row, then 15 minutes); the count and its audit record are committed
 * even though the attempt fails.
 */
export async function verifySignInCode(
  db: Kysely<Database>,
  input: { userId: string; code: string; requestId?: string },
  now = new Date(),
): Promise<SignInCodeResult> {
  return signInStep(db, input, now, async (trx, user) => {
    if (!user.totp_secret || !user.totp_enabled_at) return { ok: false, reason: 'unavailable' };
    const check = checkTotpCode({ secret: user.totp_secret, code: input.code, nowMs: now.getTime(), lastStep: lastStepOf(user) });
    if (!check.ok && check.reason === 'malformed') return check;
    if (!check.ok) {
      const lockedUntil = await countFailedSignIn(trx, user, now, {
        action: 'sign_in.second_factor_failed',
        after: { reason: check.reason === 'replayed' ? 'replayed_code' : 'wrong_code' },
        requestId: input.requestId,
      });
      if (lockedUntil) return { ok: false, reason: 'locked', lockedUntil };
      return { ok: false, reason: check.reason };
    }
    await updateUserAudited(trx, {
      userId: user.id,
      changes: { totp_last_step: String(check.step), failed_sign_ins: 0, locked_until: null, last_sign_in_at: new Date() },
      actor: rowActor(user),
      action: 'sign_in.succeeded',
      after: { secondFactor: 'totp' },
      requestId: input.requestId,
    });
    return { ok: true, user: toAuthUser(user) };
  });
}

async function storeSecondFactor(trx: Transaction<Database>, row: UserRow, secret: string, step: number, now: Date, requestId?: string): Promise<void> {
  // The secret itself never goes to the audit log.
  await updateUserAudited(trx, {
    userId: row.id,
    changes: { totp_secret: secret, totp_enabled_at: now, totp_last_step: String(step), failed_sign_ins: 0, locked_until: null },
    actor: rowActor(row),
    action: 'user.second_factor_enabled',
    before: { secondFactor: false },
    after: { secondFactor: true, enabledAt: now },
    requestId,
  });
}

/**
 * Enrolment during sign-in, for an admin or reviewer who has no second factor yet: the code from
 * the new secret both confirms the app is set up and completes the sign-in.
 */
export async function enrolSecondFactorAtSignIn(
  db: Kysely<Database>,
  input: { userId: string; secret: string; code: string; requestId?: string },
  now = new Date(),
): Promise<SignInCodeResult> {
  return signInStep(db, input, now, async (trx, user) => {
    // Enrolled meanwhile (another tab, another device): the code must come from that app now.
    if (user.totp_enabled_at) return { ok: false, reason: 'unavailable' };
    const check = checkTotpCode({ secret: input.secret, code: input.code, nowMs: now.getTime(), lastStep: null });
    if (!check.ok) return check;
    await storeSecondFactor(trx, user, input.secret, check.step, now, input.requestId);
    await recordAuditEvent(trx, {
      actor: rowActor(user),
      entityType: 'user',
      entityId: user.id,
      action: 'sign_in.succeeded',
      after: { secondFactor: 'totp', enrolled: true },
      requestId: input.requestId,
    });
    return { ok: true, user: toAuthUser(user) };
  });
}

function codeError(reason: 'malformed' | 'wrong' | 'replayed'): AppError {
  return new AppError('VALIDATION_FAILED', `code ${reason}`, { fields: [{ field: 'code', rule: `second_factor.errors.code_${reason}` }] });
}

/** A signed-in user turns the second factor on, confirming the new secret with a code from it. */
export async function enableSecondFactor(
  db: Kysely<Database>,
  input: { actor: AuthUser; secret: string; code: string; requestId?: string },
  now = new Date(),
): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'account.self');
  return db.transaction().execute(async (trx) => {
    const row = await lockUser(trx, input.actor.id);
    if (!row) throw new AppError('NOT_FOUND');
    if (row.totp_enabled_at) return { changed: false };
    const check = checkTotpCode({ secret: input.secret, code: input.code, nowMs: now.getTime(), lastStep: null });
    if (!check.ok) throw codeError(check.reason);
    await storeSecondFactor(trx, row, input.secret, check.step, now, input.requestId);
    return { changed: true };
  });
}

/**
 * A signed-in user turns the second factor off with a current code. Admins and reviewers may
 * not work without one.
 */
export async function disableSecondFactor(
  db: Kysely<Database>,
  input: { actor: AuthUser; code: string; requestId?: string },
  now = new Date(),
): Promise<{ changed: boolean }> {
  requirePermission(input.actor, 'account.self');
  if (SECOND_FACTOR_REQUIRED_ROLES.has(input.actor.role)) throw new AppError('FORBIDDEN', 'this role requires a second factor');
  return db.transaction().execute(async (trx) => {
    const row = await lockUser(trx, input.actor.id);
    if (!row) throw new AppError('NOT_FOUND');
    // The role may have changed since the request was authorized.
    if (SECOND_FACTOR_REQUIRED_ROLES.has(row.role)) throw new AppError('FORBIDDEN', 'this role requires a second factor');
    if (!row.totp_enabled_at || !row.totp_secret) return { changed: false };
    const check = checkTotpCode({ secret: row.totp_secret, code: input.code, nowMs: now.getTime(), lastStep: lastStepOf(row) });
    if (!check.ok) throw codeError(check.reason);
    await updateUserAudited(trx, {
      userId: row.id,
      changes: SECOND_FACTOR_CLEARED,
      actor: rowActor(row),
      action: 'user.second_factor_disabled',
      before: { secondFactor: true, enabledAt: row.totp_enabled_at },
      after: { secondFactor: false },
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
    if (!row) throw new AppError('NOT_FOUND');
    if (row.totp_secret === null && row.totp_enabled_at === null) return { changed: false };
    const sessionsEnded = await destroyUserSessions(trx, row.id, input.actor.id === row.id ? input.currentSid : undefined);
    await updateUserAudited(trx, {
      userId: row.id,
      changes: SECOND_FACTOR_CLEARED,
      actor: userActor(input.actor),
      action: 'user.second_factor_reset',
      before: { secondFactor: row.totp_enabled_at !== null, enabledAt: row.totp_enabled_at },
      after: { secondFactor: false, sessionsEnded },
      requestId: input.requestId,
    });
    return { changed: true };
  });
}
