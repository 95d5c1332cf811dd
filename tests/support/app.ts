import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import app from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { createAppDependencies, startBackgroundJobs } from '../../src/deps.ts';
import { createDocumentStore } from '../../src/modules/documents/store.ts';
import { createVeraPdfPool, type VeraPdfPool } from '../../src/modules/documents/verapdf-pool.ts';
import { buildServerOptions } from '../../src/server-options.ts';
import type { TestDatabase } from './database.ts';

/** Configuration as the server would build it from these variables, with a temporary data directory. */
export function testConfig(database: Pick<TestDatabase, 'url'>, env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'portal-test-data-')),
    SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
    ...env,
  });
}

export interface TestAppOptions {
  /** Run the real veraPDF check worker (a warm veraPDF pool) as the server does; without, checks stay queued. */
  documentChecks?: boolean;
  /** JVMs in that pool (default 2, the machine's cores). */
  veraPdfPoolSize?: number;
}

const quiet = { info() {}, warn() {}, error() {} };

/** Polls, sweeps and retries of the background jobs, shortened so that tests wait little. */
export const TEST_JOB_TIMING = { pollingIntervalSeconds: 0.5, sweepIntervalMs: 500, retryDelaySeconds: 1 };

/**
 * The real app with the server's own options, on a test database; requests go through inject().
 * Its job queue and workers are started as the server starts them (the extracts, mail without an
 * SMTP server, the review jobs without their schedules).
 */
export async function buildTestApp(database: TestDatabase, env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<FastifyInstance> {
  const config = testConfig(database, env);
  const fastify = Fastify(buildServerOptions(config));
  const store = createDocumentStore(config.dataDir);
  const pool: VeraPdfPool | null = options.documentChecks
    ? createVeraPdfPool({ bin: config.veraPdfBin, timeoutMs: config.veraPdfTimeoutMs, size: options.veraPdfPoolSize ?? 2 })
    : null;
  const background = await startBackgroundJobs({ config, db: database.db, connectionString: database.url, store, veraPdf: pool, log: quiet, schedules: false, timing: TEST_JOB_TIMING });
  fastify.addHook('onClose', async () => {
    await background.stop();
    await pool?.close();
  });
  await fastify.register(
    app,
    createAppDependencies(config, database.db, { store, jobs: background.jobs, documentChecks: background.documentChecks, ...(pool ? { veraPdf: pool } : {}) }),
  );
  await fastify.ready();
  return fastify;
}

let address = 0;
/**
 * The app as seen from a new client address on every request: the sign-in forms allow a limited
 * number of attempts a minute per address and e-mail, and some test files sign in more than that.
 */
export function fromFreshAddresses(fastify: FastifyInstance): Pick<FastifyInstance, 'inject'> {
  const inject = (options: InjectOptions) => {
    address += 1;
    return fastify.inject({ ...options, headers: { ...options.headers, 'x-forwarded-for': `10.${process.pid % 250}.${address >> 8}.${address & 255}` } });
  };
  return { inject } as unknown as Pick<FastifyInstance, 'inject'>;
}
