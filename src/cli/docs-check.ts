/**
 * `npm run docs:check -- FILE…`: checks files exactly as an upload would (the same checks, no
 * server), and prints one JSON line per file:
 *   {"file": …, "slot": "pdf"|"docx"|null, "verdict": "accepted"|"rejected"|"error", "reasons": [...]}
 * The slot is decided by the content. Exit code: 0 when every file is accepted, 1 when any is
 * rejected, 2 when any could not be checked (or no file was named).
 */
import path from 'node:path';
import { loadConfig } from '../config.ts';
import { checkDocumentFile } from '../modules/documents/check.ts';
import { createVeraPdfPool } from '../modules/documents/verapdf-pool.ts';

async function main(files: string[]): Promise<number> {
  if (files.length === 0) {
    process.stderr.write('usage: npm run docs:check -- FILE…\n');
    return 2;
  }
  // Only veraPDF's settings matter here: no database, no server, no data directory.
  const { VERAPDF_BIN, VERAPDF_TIMEOUT_MS, VERAPDF_POOL_SIZE } = process.env;
  const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: 'not-used-by-docs-check-but-required-0123456789', VERAPDF_BIN, VERAPDF_TIMEOUT_MS, VERAPDF_POOL_SIZE });
  const veraPdf = createVeraPdfPool({ bin: config.veraPdfBin, timeoutMs: config.veraPdfTimeoutMs, size: Math.min(config.veraPdfPoolSize, files.length) });
  let worst = 0;
  try {
    // Every file is started at once (the pool bounds the JVMs); lines come out in the order given.
    // npm runs scripts from the project's folder; the names were typed relative to where the user was.
    const base = process.env.INIT_CWD ?? process.cwd();
    const checks = files.map((file) =>
      checkDocumentFile(path.resolve(base, file), { veraPdf })
        .then((result) => ({ ...result, file }))
        .catch((error: unknown) => ({
        file,
        slot: null,
        verdict: 'error' as const,
        reasons: [{ code: 'unreadable_file', params: { error: error instanceof Error ? error.message : String(error) } }],
      })),
    );
    for (const pending of checks) {
      const { file, slot, verdict, reasons } = await pending;
      process.stdout.write(`${JSON.stringify({ file, slot, verdict, reasons })}\n`);
      worst = Math.max(worst, verdict === 'accepted' ? 0 : verdict === 'rejected' ? 1 : 2);
    }
  } finally {
    await veraPdf.close();
  }
  return worst;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`docs:check: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
