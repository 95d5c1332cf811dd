import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';

/** What the portal keeps in a session, besides @fastify/session's own cookie data. */
export interface PortalSessionData {
  userId?: string;
  /** Epoch ms of sign-in: the absolute timeout counts from here. */
  signedInAt?: number;
  /** Epoch ms of the last request: the idle timeout counts from here (touched at most once a minute). */
  lastSeenAt?: number;
  /** Password accepted, second factor still to be given. */
  pendingUserId?: string;
  pendingSince?: number;
  /** One-time notice shown on the next page (translation key). */
  flash?: string;
  _csrf?: string;
}

type Callback<T = void> = (error?: Error | null, value?: T) => void;

interface StoredSession extends PortalSessionData {
  cookie?: { expires?: string | Date | null; originalMaxAge?: number | null };
}

/**
 * @fastify/session store on PostgreSQL. The user id is a column of its own so that "sign out
 * everywhere" and deactivation can end every session of a user with one statement.
 */
export function createSessionStore(db: Kysely<Database>, fallbackLifetimeMs: number) {
  return {
    get(sid: string, callback: Callback<StoredSession | null>) {
      db.selectFrom('sessions')
        .select('data')
        .where('sid', '=', sid)
        .where('expires_at', '>', new Date())
        .executeTakeFirst()
        .then((row) => callback(null, (row?.data as StoredSession | undefined) ?? null), (error: Error) => callback(error));
    },
    set(sid: string, session: StoredSession, callback: Callback) {
      const expires = session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + fallbackLifetimeMs);
      const data = JSON.stringify(session);
      const userId = session.userId ?? null;
      db.insertInto('sessions')
        .values({ sid, user_id: userId, data, expires_at: expires })
        .onConflict((c) => c.column('sid').doUpdateSet({ user_id: userId, data, expires_at: expires }))
        .execute()
        .then(() => callback(null), (error: Error) => callback(error));
    },
    destroy(sid: string, callback: Callback) {
      db.deleteFrom('sessions')
        .where('sid', '=', sid)
        .execute()
        .then(() => callback(null), (error: Error) => callback(error));
    },
  };
}

export async function destroyUserSessions(db: Kysely<Database> | Transaction<Database>, userId: string, exceptSid?: string): Promise<number> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (exceptSid) query = query.where('sid', '<>', exceptSid);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function purgeExpiredSessions(db: Kysely<Database>): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', new Date()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
