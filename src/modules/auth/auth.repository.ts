/**
 * All SQL on `sessions`, `auth_tokens`, `sign_in_challenges` and `user_certificates`, the only
 * writer of these tables.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { AuthTokenPurpose, Database } from '../../db/database.ts';
import type { SignInChallenge } from '../signatures/challenge.ts';
import { objectPageStampJson } from '../../web/page-stamp.ts';
import { type AuthUser, toAuthUser } from '../../access/permissions.ts';

type Executor = Kysely<Database> | Transaction<Database>;

// ---------------------------------------------------------------------------------------------
// Single-use tokens (activation and password-reset links)

export const TOKEN_LIFETIME_MS: Record<AuthTokenPurpose, number> = {
  // An activation e-mail may sit in an inbox over a long weekend or a holiday run.
  activation: 7 * 24 * 60 * 60 * 1000,
  password_reset: 60 * 60 * 1000,
};

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Creates a single-use token and returns it in clear (for the e-mailed link); only its hash is
 * stored. Earlier unused tokens of the same purpose for the user stop working.
 */
export async function issueAuthToken(trx: Transaction<Database>, userId: string, purpose: AuthTokenPurpose, now = new Date()): Promise<string> {
  await trx.updateTable('auth_tokens').set({ used_at: now }).where('user_id', '=', userId).where('purpose', '=', purpose).where('used_at', 'is', null).execute();
  const token = randomBytes(32).toString('base64url');
  await trx
    .insertInto('auth_tokens')
    .values({ token_hash: hashToken(token), user_id: userId, purpose, expires_at: new Date(now.getTime() + TOKEN_LIFETIME_MS[purpose]) })
    .execute();
  return token;
}

/** The user a token is valid for, or null (unknown, used, expired, or another purpose). */
export async function findValidToken(db: Executor, token: string, purpose: AuthTokenPurpose, now = new Date()): Promise<{ userId: string; tokenHash: string } | null> {
  const row = await db
    .selectFrom('auth_tokens')
    .select(['user_id', 'token_hash'])
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row ? { userId: row.user_id, tokenHash: row.token_hash } : null;
}

/** Marks the token used; false if someone used it meanwhile (the caller then refuses). */
export async function consumeToken(trx: Transaction<Database>, tokenHash: string, now = new Date()): Promise<boolean> {
  const result = await trx.updateTable('auth_tokens').set({ used_at: now }).where('token_hash', '=', tokenHash).where('used_at', 'is', null).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

// ---------------------------------------------------------------------------------------------
// Sign-in with ЭЦП: challenges and the certificates users signed in with

export async function insertSignInChallenge(db: Executor, challenge: SignInChallenge): Promise<void> {
  await db.insertInto('sign_in_challenges').values({ nonce: challenge.nonce, created_at: challenge.issuedAt, expires_at: challenge.expiresAt }).execute();
}

/** The kept challenge of that nonce, locked until the transaction ends (two posts of it: one waits, then sees it used). */
export async function lockSignInChallenge(trx: Transaction<Database>, nonce: string): Promise<SignInChallenge | null> {
  const row = await trx.selectFrom('sign_in_challenges').selectAll().where('nonce', '=', nonce).forUpdate().executeTakeFirst();
  return row ? { nonce: row.nonce, issuedAt: row.created_at, expiresAt: row.expires_at, usedAt: row.used_at } : null;
}

export async function markSignInChallengeUsed(trx: Transaction<Database>, nonce: string, usedAt: Date): Promise<void> {
  await trx.updateTable('sign_in_challenges').set({ used_at: usedAt }).where('nonce', '=', nonce).execute();
}

/** Challenges past their end a day ago: nothing can redeem them, and the audit log keeps the refusals. */
export async function purgeExpiredSignInChallenges(db: Kysely<Database>, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('sign_in_challenges').where('expires_at', '<', new Date(now.getTime() - 24 * 3600_000)).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface CertificateUse {
  userId: string;
  serialNumber: string;
  issuer: string;
  subject: string;
  iin: string;
  bin: string | null;
  notAfter: Date;
}

/**
 * Records a sign-in with this certificate: linked to the user at its first use, its last use moved
 * after. Returns whether this was the first use by this user.
 */
export async function recordCertificateUse(trx: Transaction<Database>, use: CertificateUse, now: Date): Promise<{ linked: boolean }> {
  const row = await trx
    .insertInto('user_certificates')
    .values({ user_id: use.userId, serial_number: use.serialNumber, issuer: use.issuer, subject: use.subject, iin: use.iin, bin: use.bin, not_after: use.notAfter, first_used_at: now, last_used_at: now })
    .onConflict((c) => c.columns(['issuer', 'serial_number']).doUpdateSet({ last_used_at: now }).where('user_certificates.user_id', '=', use.userId))
    .returning(['first_used_at'])
    .executeTakeFirst();
  // No row: the certificate is linked to another account (its IIN was moved to this one), so it moves too.
  if (!row) {
    await trx.updateTable('user_certificates').set({ user_id: use.userId, first_used_at: now, last_used_at: now })
      .where('issuer', '=', use.issuer).where('serial_number', '=', use.serialNumber).execute();
    return { linked: true };
  }
  return { linked: row.first_used_at.getTime() === now.getTime() };
}

export interface LinkedCertificate {
  serialNumber: string;
  issuer: string;
  subject: string;
  bin: string | null;
  notAfter: Date;
  firstUsedAt: Date;
  lastUsedAt: Date;
}

export async function listUserCertificates(db: Executor, userId: string): Promise<LinkedCertificate[]> {
  const rows = await db.selectFrom('user_certificates').selectAll().where('user_id', '=', userId).orderBy('last_used_at', 'desc').execute();
  return rows.map((row) => ({ serialNumber: row.serial_number, issuer: row.issuer, subject: row.subject, bin: row.bin, notAfter: row.not_after, firstUsedAt: row.first_used_at, lastUsedAt: row.last_used_at }));
}

// ---------------------------------------------------------------------------------------------
// Sessions

export interface StoredSessionRow {
  data: unknown;
  /** The session's user when active, read in the same statement. */
  activeUser: AuthUser | null;
  /** Asked for with `objectPageId`: the object's organization and page stamp, null when there is no such object. */
  objectPage?: { organizationId: string | null; stamp: string | null } | null;
}

/** An unexpired session, with its active user and (when `objectPageId` is given) an object page's stamp. */
export async function readSession(db: Kysely<Database>, sid: string, objectPageId: string | undefined, now = new Date()): Promise<StoredSessionRow | null> {
  const row = await db
    .selectFrom('sessions as s')
    .leftJoin('users as u', (join) => join.onRef('u.id', '=', 's.user_id').on('u.status', '=', 'active'))
    .select(['s.data', 'u.id as active_user_id', 'u.email', 'u.role', 'u.organization_id', 'u.surname', 'u.given_name', 'u.patronymic'])
    .$if(objectPageId !== undefined, (query) => query.select(objectPageStampJson(db, objectPageId!).as('object_page')))
    .where('s.sid', '=', sid)
    .where('s.expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return null;
  const activeUser =
    row.active_user_id !== null && row.email !== null && row.role !== null && row.surname !== null && row.given_name !== null
      ? toAuthUser({ id: row.active_user_id, email: row.email, role: row.role, organization_id: row.organization_id, surname: row.surname, given_name: row.given_name, patronymic: row.patronymic })
      : null;
  return { data: row.data, activeUser, ...(objectPageId !== undefined ? { objectPage: row.object_page ?? null } : {}) };
}

export async function saveSession(db: Kysely<Database>, session: { sid: string; userId: string | null; data: string; expiresAt: Date }): Promise<void> {
  const { sid, userId, data, expiresAt } = session;
  await db
    .insertInto('sessions')
    .values({ sid, user_id: userId, data, expires_at: expiresAt })
    .onConflict((c) => c.column('sid').doUpdateSet({ user_id: userId, data, expires_at: expiresAt }))
    .execute();
}

export async function deleteSession(db: Kysely<Database>, sid: string): Promise<void> {
  await db.deleteFrom('sessions').where('sid', '=', sid).execute();
}

export async function destroyUserSessions(db: Executor, userId: string, exceptSid?: string): Promise<number> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (exceptSid) query = query.where('sid', '<>', exceptSid);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function purgeExpiredSessions(db: Kysely<Database>): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', new Date()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
