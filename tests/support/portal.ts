import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { ensureKnownCalendarYears } from '../../src/modules/calendar/calendar.service.ts';
import { buildTestApp } from './app.ts';
import { launchBrowser } from './browser.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface RunningPortal {
  database: TestDatabase;
  server: FastifyInstance;
  browser: Browser;
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * For browser tests: a database of their own, the real app with its veraPDF check worker on
 * 127.0.0.1, and Chromium. `env` adds settings (PKI_TRUST_DIR for signing); `browserArgs` adds
 * Chromium flags (--ignore-certificate-errors for the NCALayer stand-in's own certificate).
 */
export async function startPortalForBrowser(options: { env?: Record<string, string>; browserArgs?: string[] } = {}): Promise<RunningPortal> {
  const database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
  const server = await buildTestApp(database, options.env ?? {}, { documentChecks: true });
  const baseUrl = await server.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchBrowser(options.browserArgs);
  return {
    database,
    server,
    browser,
    baseUrl,
    async stop() {
      await browser.close();
      await server.close();
      await database.destroy();
    },
  };
}
