import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import type { ObjectPageStamp } from '../../web/page-stamp.ts';
import type { AuthUser } from '../../access/permissions.ts';
import { deleteSession, readSession, saveSession } from './auth.repository.ts';

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
  /**
   * The session's user as the database has them at this request, when active (null when not):
   * read with the session in one statement, never stored with it. Absent on a session made during
   * the request.
   */
  activeUser?: AuthUser | null;
  /** The stamp of the object page asked for, when the route reads it with the session (readWithSession); never stored. */
  objectPage?: ObjectPageStamp;
}

/** Read with a session, never stored with it. */
const TRANSIENT_KEYS: ReadonlySet<string> = new Set(['activeUser', 'objectPage']);

/**
 * What the current request wants read in the same statement as its session (set around the
 * session's loading by the auth plugin, from the route's `readWithSession`): one round trip to
 * the database instead of two on the pages read most.
 */
export const sessionReadExtras = new AsyncLocalStorage<{ objectPageId?: string }>();

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
      const requested = sessionReadExtras.getStore()?.objectPageId;
      const objectPageId = requested !== undefined && UUID.test(requested) ? requested : undefined;
      readSession(db, sid, objectPageId).then((row) => {
        if (!row) return callback(null, null);
        const data = row.data as StoredSession;
        const page = row.objectPage ?? null;
        callback(null, {
          ...data,
          activeUser: data.userId ? row.activeUser : null,
          ...(objectPageId !== undefined ? { objectPage: { objectId: objectPageId, organizationId: page?.organizationId ?? null, stamp: page?.stamp ?? null } } : {}),
        });
      }, (error: Error) => callback(error));
    },
    set(sid: string, session: StoredSession, callback: Callback) {
      const expiresAt = session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + fallbackLifetimeMs);
      // What was read with the session is not part of it.
      const data = JSON.stringify(session, function (this: unknown, key, value: unknown) {
        return this === session && TRANSIENT_KEYS.has(key) ? undefined : value;
      });
      saveSession(db, { sid, userId: session.userId ?? null, data, expiresAt }).then(() => callback(null), (error: Error) => callback(error));
    },
    destroy(sid: string, callback: Callback) {
      deleteSession(db, sid).then(() => callback(null), (error: Error) => callback(error));
    },
  };
}
