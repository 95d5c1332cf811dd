import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isReachable } from '../../src/db/connection.ts';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    databaseSource: string;
  }
}


/**
 * Picks the PostgreSQL the integration tests run against: TEST_DATABASE_URL or DATABASE_URL when
 * set, else a local server on 127.0.0.1:5432 (user postgres), else the portal's own embedded
 * server in a temporary directory. Each test file then makes its own database on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedPostgres | null = null;
  let tempDir: string | null = null;
  let adminUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || '';
  let source = adminUrl ? 'DATABASE_URL' : '';
  if (!adminUrl && (await isReachable('postgres://postgres@127.0.0.1:5432/postgres'))) {
    adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
    source = 'local server on 127.0.0.1:5432';
  }
  if (!adminUrl) {
    tempDir = mkdtempSync(path.join(os.tmpdir(), 'portal-test-pg-'));
    embedded = await startEmbeddedPostgres({ dataDir: tempDir, port: 54339 });
    adminUrl = embedded.connectionString;
    source = 'embedded PostgreSQL';
  }
  if (!(await isReachable(adminUrl))) throw new Error(`test database server not reachable (${source})`);
  process.stdout.write(`integration tests use: ${source}\n`);
  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('databaseSource', source);
  return async () => {
    await embedded?.stop();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
}
