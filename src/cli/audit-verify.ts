import { verifyAuditChain } from '../modules/audit/audit.service.ts';
import { exitWithError, loadConfigOrExit, openDatabase } from '../runtime.ts';

/**
 * `npm run audit:verify`: recomputes the audit log's hash chain and reports the first broken link.
 * Exit 0 when intact, 2 when broken (1 is left for "could not check").
 */
async function main(): Promise<void> {
  const database = await openDatabase(loadConfigOrExit(), { ownsEmbedded: false });
  try {
    const report = await verifyAuditChain(database.db);
    if (report.ok) {
      process.stdout.write(`audit log intact: ${report.checked} events, last hash ${report.lastHash}\n`);
    } else {
      const broken = report.firstBroken!;
      process.stdout.write(
        `audit log BROKEN at event ${broken.id} (${broken.reason === 'hash_mismatch' ? 'its content does not match its hash' : 'it does not link to the event before it'}); ${report.checked} events before it are intact\n`,
      );
      process.exitCode = 2;
    }
  } finally {
    await database.close();
  }
}

main().catch(exitWithError);
