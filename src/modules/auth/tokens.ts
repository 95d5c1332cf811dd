import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { AuthTokenPurpose, Database } from '../../db/database.ts';

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
export async function findValidToken(db: Kysely<Database> | Transaction<Database>, token: string, purpose: AuthTokenPurpose, now = new Date()): Promise<{ userId: string; tokenHash: string } | null> {
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
