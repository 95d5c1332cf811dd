import { migrateToLatest, pendingMigrations } from '../db/migrator.ts';
import { exitWithError, loadConfigOrExit, openDatabase } from '../runtime.ts';

/** `npm run migrate`: applies pending migrations (the server also does this at start-up). */
async function main(): Promise<void> {
  const database = await openDatabase(loadConfigOrExit(), { ownsEmbedded: false });
  try {
    const applied = await migrateToLatest(database.db);
    const pending = await pendingMigrations(database.db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database schema is current\n');
    if (pending.length) throw new Error(`still pending: ${pending.join(', ')}`);
  } finally {
    await database.close();
  }
}

main().catch(exitWithError);
