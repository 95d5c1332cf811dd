/**
 * All SQL on `sessions` and `auth_tokens`, the only writer of both tables.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { AuthTokenPurpose, Database } from '../../db/database.ts';
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
