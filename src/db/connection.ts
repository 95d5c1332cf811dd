import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';

/**
 * Statements prepared once per connection. PostgreSQL plans a statement each time it is sent
 * unnamed; on this registry's small lookups planning costs several times the execution (a
 * session read: 0.3 ms to plan, 0.05 ms to run), so reads are sent as named statements, which
 * each connection parses and plans once (PostgreSQL re-plans them itself when a table changes).
 * Reads only (writes vary in shape and are not hot), and at most PREPARED_LIMIT distinct texts,
 * so a stream of ever-new texts (lists of varying length) cannot grow without bound.
 */
const PREPARED_LIMIT = 2000;
const preparedNames = new Map<string, string>();

function preparedName(text: string): string | null {
  const known = preparedNames.get(text);
  if (known !== undefined) return known;
  if (preparedNames.size >= PREPARED_LIMIT || !/^\s*(select|with)\b/i.test(text)) return null;
  const name = `portal_${preparedNames.size + 1}`;
  preparedNames.set(text, name);
  return name;
}

type Query = (this: pg.Client, ...args: unknown[]) => unknown;
const plainQuery = pg.Client.prototype.query as unknown as Query;

class PreparingClient extends pg.Client {}
// Kysely calls query(text, values); that call alone is turned into a named statement.
(PreparingClient.prototype as unknown as { query: Query }).query = function query(this: pg.Client, ...args: unknown[]) {
  const [text, values, callback] = args;
  if (typeof text === 'string' && Array.isArray(values) && callback === undefined) {
    const name = preparedName(text);
    if (name !== null) return plainQuery.call(this, { name, text, values });
  }
  return plainQuery.apply(this, args);
};

// DATE columns hold calendar days ('YYYY-MM-DD'); as JS Dates they would shift with the time
// zone. Read them as the text PostgreSQL sends.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

export function connectDatabase(connectionString: string, options: { max?: number; prepare?: boolean } = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
    ...(options.prepare === false ? {} : { Client: PreparingClient }),
    max: options.max ?? 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'architecture-portal',
  });
  // An idle client losing its connection (database restart) must not crash the process;
  // the next query reconnects and reports its own error.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    close: () => db.destroy(),
  };
}

/** One-line reason for a failed connection, without the password. */
export function describeConnectionError(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { errors?: Error[] };
  if (e.errors?.length) return describeConnectionError(e.errors[0]);
  if (e.code === 'ECONNREFUSED') return 'connection refused (is the server running?)';
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'host not found';
  if (e.code === 'ETIMEDOUT') return 'connection timed out';
  if (e.code === '28P01' || e.code === '28000') return 'authentication failed';
  if (e.code === '3D000') return e.message;
  return e.message || String(error);
}

/** Whether a PostgreSQL server answers a query at this URL within 3 seconds (for picking a server). */
export async function isReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
