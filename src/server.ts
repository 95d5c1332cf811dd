import Fastify from 'fastify';
import app from './app.ts';
import { projectRoot } from './config.ts';
import { migrateToLatest } from './db/migrator.ts';
import { purgeExpiredSessions } from './modules/auth/auth.repository.ts';
import { ensureKnownCalendarYears } from './modules/calendar/calendar.service.ts';
import { loadDemoData, readDemoData } from './modules/demo/demo-data.ts';
import { type MailWorker, startMailWorker } from './modules/notifications/mail-worker.ts';
import { createAppDependencies } from './deps.ts';
import { type DocumentCheckWorker, startDocumentCheckWorker } from './modules/documents/check-worker.ts';
import { createDocumentStore } from './modules/documents/store.ts';
import { createVeraPdfPool, type VeraPdfPool } from './modules/documents/verapdf-pool.ts';
import { type ReviewJobs, startReviewJobs } from './modules/reviews/review-jobs.ts';
import { exitWithError, loadConfigOrExit, openDatabase } from './runtime.ts';
import { buildServerOptions } from './server-options.ts';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const database = await openDatabase(config, { ownsEmbedded: true });
  let closing = false;
  let mail: MailWorker | null = null;
  let documentChecks: DocumentCheckWorker | null = null;
  let veraPdf: VeraPdfPool | null = null;
  let reviewJobs: ReviewJobs | null = null;
  const fastify = Fastify(buildServerOptions(config));

  async function shutdown(signal: string): Promise<void> {
    if (closing) return;
    closing = true;
    fastify.log.info({ signal }, 'shutting down');
    const forced = setTimeout(() => process.exit(1), 30_000);
    forced.unref();
    await fastify.close().catch((error: unknown) => fastify.log.error({ err: error }, 'closing the web server failed'));
    await mail?.stop().catch((error: unknown) => fastify.log.error({ err: error }, 'stopping the mail worker failed'));
    await documentChecks?.stop().catch((error: unknown) => fastify.log.error({ err: error }, 'stopping the document check worker failed'));
    await reviewJobs?.stop().catch((error: unknown) => fastify.log.error({ err: error }, 'stopping the review jobs failed'));
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

    mail = await startMailWorker({ connectionString: database.url, smtpUrl: config.smtpUrl, from: config.mailFrom, log: fastify.log });
    veraPdf = createVeraPdfPool({ bin: config.veraPdfBin, timeoutMs: config.veraPdfTimeoutMs, size: config.veraPdfPoolSize, eager: true });
    const store = createDocumentStore(config.dataDir);
    documentChecks = await startDocumentCheckWorker({
      connectionString: database.url,
      db: database.db,
      store,
      veraPdf,
      concurrency: veraPdf.size,
      log: fastify.log,
    });
    reviewJobs = await startReviewJobs({ connectionString: database.url, db: database.db, baseUrl: config.baseUrl, log: fastify.log });
    await fastify.register(app, createAppDependencies(config, database.db, { veraPdf, store, documentChecks }));
    await fastify.listen({ host: config.host, port: config.port });
    // Expired sessions are refused on read anyway; this only keeps the table small.
    const purge = setInterval(() => {
      purgeExpiredSessions(database.db).catch((error: unknown) => fastify.log.warn({ err: error }, 'purging expired sessions failed'));
    }, 60 * 60 * 1000);
    purge.unref();
    veraPdf.version().catch(() =>
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
    await mail?.stop().catch(() => undefined);
    await documentChecks?.stop().catch(() => undefined);
    await reviewJobs?.stop().catch(() => undefined);
    await veraPdf?.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw error;
  }
}

main().catch(exitWithError);
