import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';

// DATE columns hold calendar days ('YYYY-MM-DD'); as JS Dates they would shift with the time
// zone. Read them as the text PostgreSQL sends.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

export function connectDatabase(connectionString: string, options: { max?: number } = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
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
