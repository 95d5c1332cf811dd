/**
 * Verification time of one signed document, as the portal will verify it: a detached CMS (RSA
 * 2048, SHA-256) over a 64 KiB manifest by an NCA-shaped SIGN key, with the path to the trust
 * store and a fresh OCSP request to a real responder (`openssl ocsp`) on 127.0.0.1 every time (OCSP
 * answers are never kept). The test PKI of tests/support/test-pki.ts is built first (not timed).
 * Prints the median, p95, min and max of N verifications (default 100) after 5 unmeasured ones,
 * and the same with the CRL (kept by its nextUpdate) in place of OCSP: a report, never a failure.
 *
 *   node scripts/bench-signature.ts [--runs 100]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createCrlCache } from '../src/modules/signatures/crl.ts';
import type { RevocationSettings } from '../src/modules/signatures/revocation.ts';
import { loadTrustStore } from '../src/modules/signatures/trust-store.ts';
import { verifyCms } from '../src/modules/signatures/verify-cms.ts';
import { createTestPki } from '../tests/support/test-pki.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '100' } } });
const runs = Number(values.runs);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const pki = await createTestPki();
try {
  const trust = await loadTrustStore(pki.trustDir);
  const content = Buffer.alloc(64 * 1024, 'manifest ');
  const cms = await pki.sign(pki.keys.employeeSign, content);
  const settings = (ocsp: boolean): RevocationSettings => ({ ocsp, crl: !ocsp, onUnavailable: 'refuse', timeoutMs: 5000, crlCache: createCrlCache({ timeoutMs: 5000 }) });
  for (const [label, revocation] of [['chain + OCSP', settings(true)], ['chain + CRL (kept)', settings(false)]] as const) {
    const times: number[] = [];
    for (let run = 0; run < runs + 5; run += 1) {
      const started = process.hrtime.bigint();
      const result = await verifyCms({ cms, content, purpose: 'sign', trust, revocation });
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (!result.ok) throw new Error(`verification refused: ${result.code} ${result.reason}`);
      if (run >= 5) times.push(elapsed);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(`${label}: median ${quantile(times, 0.5).toFixed(2)} ms, p95 ${quantile(times, 0.95).toFixed(2)} ms, min ${times[0]!.toFixed(2)} ms, max ${times.at(-1)!.toFixed(2)} ms over ${runs} verifications\n`);
  }
  process.stdout.write(`load average ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}, ${os.cpus().length} cores, node ${process.version}\n`);
} finally {
  await pki.close();
}
