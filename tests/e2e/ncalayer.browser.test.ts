/**
 * The browser side as a portal page will run it: Chromium loads ncalayer-client.js as a plain
 * script, connects to the NCALayer stand-in over wss:// (self-signed, so the browser is told to
 * ignore certificate errors, as a real NCALayer's own certificate is trusted on users' machines),
 * signs the sign-in challenge with the AUTH key, and the server side verifies what came back.
 */
import { createRequire } from 'node:module';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { challengeContent, issueChallenge } from '../../src/modules/signatures/challenge.ts';
import { createCrlCache } from '../../src/modules/signatures/crl.ts';
import { loadTrustStore } from '../../src/modules/signatures/trust-store.ts';
import { verifyCms } from '../../src/modules/signatures/verify-cms.ts';
import { startNcaLayerStandin, type NcaLayerStandin } from '../support/ncalayer-standin.ts';
import { createTestPki, TEST_PKI_PASSWORD, type TestPki } from '../support/test-pki.ts';

const clientScript = createRequire(import.meta.url).resolve('ncalayer-js-client');
let pki: TestPki;
let standin: NcaLayerStandin;
let browser: Browser;

beforeAll(async () => {
  pki = await createTestPki();
  standin = await startNcaLayerStandin({ keys: [pki.keys.individualAuth, pki.keys.individualSign].map((key) => ({ p12Path: key.p12Path, password: TEST_PKI_PASSWORD })), tls: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-dev-shm-usage', '--ignore-certificate-errors'],
  });
});
afterAll(async () => {
  await browser?.close();
  await standin?.close();
  await pki?.close();
});

it('a page signs the sign-in challenge through NCALayer (wss) and the signature verifies for sign-in', async () => {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><title>sign-in</title>');
  await page.addScriptTag({ path: clientScript });
  const challenge = issueChallenge({ now: new Date() });
  const base64 = Buffer.from(challengeContent(challenge)).toString('base64');
  const signed = await page.evaluate(async ({ url, data }) => {
    type Client = { connect(): Promise<string>; basicsSignCMS(...args: unknown[]): Promise<string> };
    const NCALayerClient = (window as unknown as { NCALayerClient: (new (url: string, kmd: boolean) => Client) & Record<string, unknown> }).NCALayerClient;
    const client = new NCALayerClient(url, false);
    const version = await client.connect();
    const cms = await client.basicsSignCMS(NCALayerClient.basicsStorageAll, data, NCALayerClient.basicsCMSParamsDetached, NCALayerClient.basicsSignerAuthAny);
    return { version, cms };
  }, { url: standin.url, data: base64 });
  expect(signed.version).toBe('1.4');
  const trust = await loadTrustStore(pki.trustDir);
  const result = await verifyCms({
    cms: signed.cms,
    content: challengeContent(challenge),
    purpose: 'auth',
    trust,
    revocation: { ocsp: true, crl: true, onUnavailable: 'refuse', timeoutMs: 10_000, crlCache: createCrlCache({ timeoutMs: 10_000 }) },
  });
  expect(result).toMatchObject({ ok: true, signer: { iin: '880101300123', keyPurpose: 'auth' }, revocation: { status: 'good' } });
});
