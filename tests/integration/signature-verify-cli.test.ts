/** npm run signature:verify as a user runs it: a real process, files on disk, the test PKI. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/paths.ts';
import { createTestPki, type TestPki } from '../support/test-pki.ts';

let pki: TestPki;
let file: string;

function cli(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [path.join(projectRoot, 'src/cli/signature-verify.ts'), ...args], { reject: false, env: { PKI_TRUST_DIR: pki.trustDir, ...env } });
}

beforeAll(async () => {
  pki = await createTestPki();
  file = path.join(pki.dir, 'tz.pdf');
  writeFileSync(file, 'a technical specification');
  writeFileSync(`${file}.cms`, await pki.sign(pki.keys.employeeSign, Buffer.from('a technical specification')));
  writeFileSync(path.join(pki.dir, 'attached.cms'), (await pki.sign(pki.keys.individualSign, Buffer.from('inside'), { attached: true })).toString('base64'));
  writeFileSync(path.join(pki.dir, 'revoked.cms'), await pki.sign(pki.keys.revoked, Buffer.from('a technical specification')));
});
afterAll(async () => {
  await pki?.close();
});

describe('signature:verify', () => {
  it('a detached CMS next to the file (FILE.cms), offline: valid, exit 0, revocation not checked', async () => {
    const run = await cli([file]);
    expect(run.exitCode).toBe(0);
    const line = JSON.parse(run.stdout);
    expect(line).toMatchObject({ verdict: 'valid', code: null, attached: false, signer: { iin: '900215400567', bin: '123456789021' }, revocation: { status: 'not_checked' } });
  });

  it('the wrong file for the signature: refused with content_mismatch, exit 2', async () => {
    const other = path.join(pki.dir, 'other.pdf');
    writeFileSync(other, 'another document');
    const run = await cli([other, `${file}.cms`]);
    expect(run.exitCode).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ verdict: 'refused', code: 'content_mismatch' });
  });

  it('an attached CMS alone, with the trust folder given on the command line', async () => {
    const run = await cli(['--trust-dir', pki.trustDir, path.join(pki.dir, 'attached.cms')], { PKI_TRUST_DIR: '' });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ verdict: 'valid', attached: true });
  });

  it('--online asks the OCSP responder: a revoked certificate is refused', async () => {
    const offline = await cli([file, path.join(pki.dir, 'revoked.cms')]);
    expect(offline.exitCode).toBe(0);
    const run = await cli(['--online', file, path.join(pki.dir, 'revoked.cms')]);
    expect(run.exitCode).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ code: 'revoked', revocation: { source: 'ocsp' } });
  });

  it('without a trust folder: a one-line error, exit 1', async () => {
    const run = await cli([file], { PKI_TRUST_DIR: '' });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/PKI_TRUST_DIR/);
  });
});
