import Fastify from 'fastify';
import app from './app.ts';
import { projectRoot } from './config.ts';
import { migrateToLatest } from './db/migrator.ts';
import { purgeExpiredSessions } from './modules/auth/auth.repository.ts';
import { ensureKnownCalendarYears } from './modules/calendar/calendar.service.ts';
import { loadDemoData, readDemoData } from './modules/demo/demo-data.ts';
import { type BackgroundJobs, createAppDependencies, startBackgroundJobs } from './deps.ts';
import { createDocumentStore } from './modules/documents/store.ts';
import { createVeraPdfPool, type VeraPdfPool } from './modules/documents/verapdf-pool.ts';
import { exitWithError, loadConfigOrExit, openDatabase } from './runtime.ts';
import { buildServerOptions } from './server-options.ts';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const database = await openDatabase(config, { ownsEmbedded: true });
  let closing = false;
  let background: BackgroundJobs | null = null;
  let veraPdf: VeraPdfPool | null = null;
  const fastify = Fastify(buildServerOptions(config));

  async function shutdown(signal: string): Promise<void> {
    if (closing) return;
    closing = true;
    fastify.log.info({ signal }, 'shutting down');
    const forced = setTimeout(() => process.exit(1), 30_000);
    forced.unref();
    await fastify.close().catch((error: unknown) => fastify.log.error({ err: error }, 'closing the web server failed'));
    await background?.stop().catch((error: unknown) => fastify.log.error({ err: error }, 'stopping the background jobs failed'));
    await veraPdf?.close().catch((error: unknown) => fastify.log.error({ err: error }, 'stopping veraPDF failed'));
    await database.close().catch((error: unknown) => fastify.log.error({ err: error }, 'closing the database failed'));
    process.exit(0);
  }
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) fastify.log.info({ migrations: applied }, 'database migrated');
    const calendarYears = await ensureKnownCalendarYears(database.db);
    if (calendarYears.length > 0) fastify.log.info({ years: calendarYears }, 'working-day calendar filled in');
    const demo = config.demoData ? readDemoData() : null;
    if (demo) {
      const { created } = await loadDemoData(database.db, demo);
      if (created > 0) fastify.log.info({ created }, 'demo data loaded');
    }

    // A web-only node (JOBS_WORK=false) checks no documents: it needs no warm JVMs.
    if (config.jobsWork) veraPdf = createVeraPdfPool({ bin: config.veraPdfBin, timeoutMs: config.veraPdfTimeoutMs, size: config.veraPdfPoolSize, eager: true });
    const store = createDocumentStore(config.dataDir);
    background = await startBackgroundJobs({ config, db: database.db, connectionString: database.url, store, veraPdf, log: fastify.log, schedules: true });
    if (!config.jobsWork) fastify.log.info({}, 'JOBS_WORK=false: jobs are queued here and run by the nodes that work them');
    const deps = createAppDependencies(config, database.db, { store, jobs: background.jobs, documentChecks: background.documentChecks, ...(veraPdf ? { veraPdf } : {}) });
    await fastify.register(app, deps);
    await fastify.listen({ host: config.host, port: config.port });
    // Expired sessions are refused on read anyway; this only keeps the table small.
    const purge = setInterval(() => {
      purgeExpiredSessions(database.db).catch((error: unknown) => fastify.log.warn({ err: error }, 'purging expired sessions failed'));
    }, 60 * 60 * 1000);
    purge.unref();
    deps.veraPdf.version().catch(() =>
      fastify.log.warn(
        { bin: config.veraPdfBin },
        'veraPDF is not runnable: documents will wait in "not checked" until it is (run npm ci, or set VERAPDF_BIN)',
      ),
    );

    const where = database.embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL';
    process.stdout.write(`\nArchitecture portal: ${config.baseUrl}  (database: ${where}; project: ${projectRoot})\n`);
    if (demo && config.env === 'development') {
      process.stdout.write(`Demo accounts (password for all: ${demo.password}; sign in at ${config.baseUrl}/sign-in):\n`);
      for (const user of demo.users) {
        process.stdout.write(`  ${user.role.padEnd(19)} ${user.email}${user.organization ? `  (${user.organization})` : ''}\n`);
      }
      process.stdout.write('Administrators and reviewers set up a one-time-code app (TOTP) at their first sign-in.\n');
      process.stdout.write(`Without SMTP_URL, e-mail (activation links, resets) waits in the outbox: ${config.baseUrl}/admin/outbox\n\n`);
    }
  } catch (error) {
    await fastify.close().catch(() => undefined);
    await background?.stop().catch(() => undefined);
    await veraPdf?.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw error;
  }
}

main().catch(exitWithError);
