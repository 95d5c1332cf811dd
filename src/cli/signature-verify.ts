/**
 * `npm run signature:verify -- [options] FILE [FILE.cms]`: checks a CMS signature over a file,
 * with no server and no database, and prints one JSON line:
 *   {"file": …, "signature": …, "verdict": "valid"|"refused", "code": …, "reason": …, "signer": …,
 *    "signingTime": …, "revocation": …}
 * FILE and FILE.cms: a detached CMS (DER, base64 or PEM) over FILE; FILE alone: FILE.cms when it
 * exists, else the signatures inside FILE when it is a PDF (PAdES: one line per signature, with
 * "byteRange" and "coversWholeDocument"), else FILE itself is an attached CMS. Options:
 *   --trust-dir DIR   CA certificates (default: PKI_TRUST_DIR)
 *   --purpose sign|auth   which NCA key is expected (default sign)
 *   --online          ask OCSP/CRL (PKI_* settings apply); offline by default, revocation not_checked
 *   --at ISO-8601     the time of checking (default now)
 * Exit code: 0 valid, 2 refused, 1 usage or unreadable input.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { extractPdfSignatures, isPdf } from '../modules/signatures/pades.ts';
import { revocationSettingsFromEnv } from '../modules/signatures/revocation.ts';
import { signatureEnvSchema } from '../config.ts';
import type { VerificationResult } from '../modules/signatures/signatures.schemas.ts';
import { loadTrustStore } from '../modules/signatures/trust-store.ts';
import { verifyCms } from '../modules/signatures/verify-cms.ts';

const USAGE = 'usage: npm run signature:verify -- [--trust-dir DIR] [--purpose sign|auth] [--online] [--at ISO] FILE [FILE.cms]\n';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'trust-dir': { type: 'string' },
      purpose: { type: 'string', default: 'sign' },
      online: { type: 'boolean', default: false },
      at: { type: 'string' },
    },
  });
  const purpose = values.purpose;
  const at = values.at ? new Date(values.at) : new Date();
  if (positionals.length < 1 || positionals.length > 2 || (purpose !== 'sign' && purpose !== 'auth') || Number.isNaN(at.getTime())) {
    process.stderr.write(USAGE);
    return 1;
  }
  const env = signatureEnvSchema.safeParse({ ...process.env, PKI_TRUST_DIR: values['trust-dir'] ?? process.env.PKI_TRUST_DIR });
  if (!env.success) {
    process.stderr.write(`signature:verify: ${env.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}\n`);
    return 1;
  }
  // npm runs scripts from the project's folder; the names were typed relative to where the user was.
  const base = process.env.INIT_CWD ?? process.cwd();
  const file = path.resolve(base, positionals[0]!);
  const signatureFile = positionals[1] ? path.resolve(base, positionals[1]) : existsSync(`${file}.cms`) ? `${file}.cms` : null;
  const trust = await loadTrustStore(path.resolve(base, env.data.PKI_TRUST_DIR));
  const revocation = values.online ? revocationSettingsFromEnv(env.data) : 'skip';
  const signatureBytes = new Uint8Array(await readFile(signatureFile ?? file));
  if (!signatureFile && isPdf(signatureBytes)) {
    const signatures = extractPdfSignatures(signatureBytes);
    if (signatures.length === 0) {
      process.stdout.write(`${JSON.stringify({ file: positionals[0], verdict: 'refused', code: 'malformed', reason: 'the PDF holds no signature' })}\n`);
      return 2;
    }
    let refused = false;
    for (const signature of signatures) {
      const result = await verifyCms({ cms: signature.cms, content: signature.signedContent, purpose, at, trust, revocation });
      refused ||= !result.ok;
      process.stdout.write(`${JSON.stringify({
        file: positionals[0],
        byteRange: signature.byteRange,
        subFilter: signature.subFilter,
        coversWholeDocument: signature.coversWholeDocument,
        ...summary(result),
      })}\n`);
    }
    return refused ? 2 : 0;
  }
  const result = await verifyCms({
    cms: signatureBytes,
    content: signatureFile ? new Uint8Array(await readFile(file)) : undefined,
    purpose,
    at,
    trust,
    revocation,
  });
  process.stdout.write(`${JSON.stringify({
    file: positionals[0],
    signature: signatureFile ? path.relative(base, signatureFile) : positionals[0],
    ...summary(result),
  })}\n`);
  return result.ok ? 0 : 2;
}

function summary(result: VerificationResult) {
  return {
    verdict: result.ok ? 'valid' : 'refused',
    code: result.ok ? null : result.code,
    reason: result.ok ? null : result.reason,
    attached: result.attached,
    algorithm: result.algorithm,
    signer: result.signer,
    signingTime: result.signingTime,
    revocation: result.revocation,
  };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`signature:verify: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
