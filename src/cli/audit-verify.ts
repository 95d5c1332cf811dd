import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { type ChainHead, verifyAuditChain } from '../modules/audit/audit.service.ts';
import { exitWithError, loadConfigOrExit, openDatabase } from '../runtime.ts';

/** The published heads as the portal's feed gives them (/audit/heads.json), kept outside the database. */
const publishedHeads = z.object({
  heads: z.array(
    z.object({
      day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
      lastEventId: z.string().regex(/^\d{1,19}$/),
      eventCount: z.number().int().nonnegative(),
      headHash: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});

async function readHeads(source: string): Promise<ChainHead[]> {
  const text = /^https?:\/\//.test(source) ? await (await fetch(source)).text() : await readFile(source, 'utf8');
  return publishedHeads.parse(JSON.parse(text)).heads;
}

const REASONS: Record<string, string> = {
  hash_mismatch: 'its content does not match its hash',
  prev_hash_mismatch: 'it does not link to the event before it',
  published_head_mismatch: 'it differs from the head published',
  published_head_missing: 'the event a published head names is not in the log',
};

/**
 * `npm run audit:verify [-- --heads heads.json|URL]`: recomputes the audit log's hash chain and
 * reports the first broken link; with published heads (a copy of /audit/heads.json kept outside
 * the database, or its address) it also checks the chain against each of them.
 * Exit 0 when intact, 2 when broken (1 is left for "could not check").
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { heads: { type: 'string' } } });
  const heads = values.heads ? await readHeads(values.heads) : [];
  const database = await openDatabase(loadConfigOrExit(), { ownsEmbedded: false });
  try {
    const report = await verifyAuditChain(database.db, 2000, heads);
    if (report.ok) {
      const against = heads.length > 0 ? `, agrees with ${heads.length} published heads` : '';
      process.stdout.write(`audit log intact: ${report.checked} events, last hash ${report.lastHash}${against}\n`);
    } else {
      const broken = report.firstBroken!;
      const day = broken.day ? ` (head of ${broken.day})` : '';
      process.stdout.write(`audit log BROKEN at event ${broken.id}${day}: ${REASONS[broken.reason]}; ${report.checked} events before it are intact\n`);
      process.exitCode = 2;
    }
  } finally {
    await database.close();
  }
}

main().catch(exitWithError);
