/** Signatures inside a PDF: extracted by /ByteRange, verified over the signed ranges. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrlCache } from '../../src/modules/signatures/crl.ts';
import { extractPdfSignatures, isPdf } from '../../src/modules/signatures/pades.ts';
import { loadTrustStore, type TrustStore } from '../../src/modules/signatures/trust-store.ts';
import { verifyCms } from '../../src/modules/signatures/verify-cms.ts';
import { projectRoot } from '../support/paths.ts';
import { signedPdf } from '../support/signed-pdf.ts';
import { createTestPki, type TestPki } from '../support/test-pki.ts';

let pki: TestPki;
let trust: TrustStore;
let pdf: Buffer;
const revocation = () => ({ ocsp: true, crl: true, onUnavailable: 'refuse' as const, timeoutMs: 10_000, crlCache: createCrlCache({ timeoutMs: 10_000 }) });

beforeAll(async () => {
  pki = await createTestPki();
  trust = await loadTrustStore(pki.trustDir);
  pdf = await signedPdf(pki, pki.keys.employeeSign);
});
afterAll(async () => {
  await pki?.close();
});

describe('PAdES', () => {
  it("finds the signature, covering the whole file but its /Contents, and verifies the employee's SIGN key", async () => {
    expect(isPdf(pdf)).toBe(true);
    const [signature, ...others] = extractPdfSignatures(pdf);
    expect(others).toHaveLength(0);
    expect(signature).toMatchObject({ subFilter: 'ETSI.CAdES.detached', coversWholeDocument: true });
    expect(signature!.signedContent.length + (signature!.byteRange[2] - signature!.byteRange[1])).toBe(pdf.length);
    const result = await verifyCms({ cms: signature!.cms, content: signature!.signedContent, purpose: 'sign', trust, revocation: revocation() });
    expect(result).toMatchObject({ ok: true, signer: { bin: '123456789021' }, revocation: { status: 'good' } });
  });

  it('a byte changed inside the signed ranges: content_mismatch', async () => {
    const tampered = Buffer.from(pdf);
    const at = tampered.indexOf('Tj ET', 0, 'latin1') - 3;
    tampered[at] = tampered[at]! ^ 0x20;
    const [signature] = extractPdfSignatures(tampered);
    expect(await verifyCms({ cms: signature!.cms, content: signature!.signedContent, purpose: 'sign', trust, revocation: revocation() }))
      .toMatchObject({ ok: false, code: 'content_mismatch' });
  });

  it('an update appended after signing is reported: the signature no longer covers the whole document', () => {
    const updated = Buffer.concat([pdf, Buffer.from('\n% a later incremental update\n', 'latin1')]);
    expect(extractPdfSignatures(updated)[0]?.coversWholeDocument).toBe(false);
  });

  it('a ByteRange that does not leave out exactly the /Contents is refused', () => {
    const broken = Buffer.from(pdf.toString('latin1').replace(/\/ByteRange \[0 (\d+)/, (_, b: string) => `/ByteRange [0 ${String(Number(b) + 1).padStart(b.length, '0')}`), 'latin1');
    expect(() => extractPdfSignatures(broken)).toThrow(/ByteRange/);
  });

  it('npm run signature:verify -- file.pdf: one line per signature', async () => {
    const file = path.join(pki.dir, 'signed.pdf');
    writeFileSync(file, pdf);
    const run = await execa(process.execPath, [path.join(projectRoot, 'src/cli/signature-verify.ts'), '--online', file], { reject: false, env: { PKI_TRUST_DIR: pki.trustDir } });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ verdict: 'valid', coversWholeDocument: true, subFilter: 'ETSI.CAdES.detached', revocation: { status: 'good' } });
  });
});
