import { sql } from 'kysely';
import { type Config, ConfigError, loadConfig, redactDatabaseUrl } from './config.ts';
import { connectDatabase, type DatabaseHandle, describeConnectionError } from './db/connection.ts';
import { type EmbeddedPostgres, ensureDatabase, startEmbeddedPostgres } from './db/embedded-postgres.ts';

export const EMBEDDED_DATABASE_NAME = 'portal';

export class StartupError extends Error {
  override name = 'StartupError';
}

export interface OpenedDatabase extends DatabaseHandle {
  /** Present when the portal runs its own PostgreSQL. */
  embedded: EmbeddedPostgres | null;
  url: string;
}

/**
 * The configured database, or the embedded one; either answers a query before this returns.
 * The server owns the embedded PostgreSQL and stops it on close, even one it found running after
 * a crash; a command-line tool stops it only if it started it itself.
 */
export async function openDatabase(config: Config, options: { ownsEmbedded: boolean }): Promise<OpenedDatabase> {
  let embedded: EmbeddedPostgres | null = null;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort });
    url = await ensureDatabase(embedded.connectionString, EMBEDDED_DATABASE_NAME);
  }
  const handle = connectDatabase(url, { prepare: config.databaseNamedStatements });
  try {
    await sql`SELECT 1`.execute(handle.db);
  } catch (error) {
    await handle.close().catch(() => undefined);
    const where = config.databaseUrl ? redactDatabaseUrl(url) : `the embedded PostgreSQL on port ${config.embeddedPostgresPort}`;
    throw new StartupError(`cannot connect to the database at ${where}: ${describeConnectionError(error)}`);
  }
  return {
    ...handle,
    embedded,
    url,
    async close() {
      await handle.close();
      if (embedded && (options.ownsEmbedded || embedded.startedHere)) await embedded.stop();
    },
  };
}

/** Config or nothing: a bad value ends the process with one readable line. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    exitWithError(error);
  }
}

/** One line on stderr and exit 1: operators need the reason, not a stack trace. */
export function exitWithError(error: unknown): never {
  const known = error instanceof ConfigError || error instanceof StartupError || (error as Error)?.name?.endsWith('Error');
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`architecture-portal: ${known ? message : `unexpected failure: ${message}`}\n`);
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}
