/**
 * ncalayer-js-client (the kept browser library) against the NCALayer stand-in, and what it signs
 * through verifyCms: the same requests a portal page will make.
 */
import { NCALayerClient, type NCALayerError } from 'ncalayer-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket as WsClient } from 'ws';
import { challengeContent, issueChallenge } from '../../src/modules/signatures/challenge.ts';
import { createCrlCache } from '../../src/modules/signatures/crl.ts';
import { loadTrustStore, type TrustStore } from '../../src/modules/signatures/trust-store.ts';
import { verifyCms } from '../../src/modules/signatures/verify-cms.ts';
import { startNcaLayerStandin, type NcaLayerStandin } from '../support/ncalayer-standin.ts';
import { createTestPki, TEST_PKI_PASSWORD, type TestPki } from '../support/test-pki.ts';

let pki: TestPki;
let trust: TrustStore;
let standin: NcaLayerStandin;
const clients: NCALayerClient[] = [];

async function connected(): Promise<NCALayerClient> {
  // allowKmdHttpApi false: no probe of KAZTOKEN's HTTPS API on 127.0.0.1:24680.
  const client = new NCALayerClient(standin.url, false);
  clients.push(client);
  await client.connect();
  return client;
}

const revocation = () => ({ ocsp: true, crl: true, onUnavailable: 'refuse' as const, timeoutMs: 10_000, crlCache: createCrlCache({ timeoutMs: 10_000 }) });

beforeAll(async () => {
  pki = await createTestPki();
  trust = await loadTrustStore(pki.trustDir);
  standin = await startNcaLayerStandin({
    keys: [pki.keys.individualAuth, pki.keys.individualSign, pki.keys.employeeSign].map((key) => ({ p12Path: key.p12Path, password: TEST_PKI_PASSWORD })),
  });
});
afterAll(async () => {
  for (const client of clients) client.wsConnection?.close();
  await standin?.close();
  await pki?.close();
});

describe('NCALayer stand-in with ncalayer-js-client', () => {
  it('connects and reports its version', async () => {
    const client = new NCALayerClient(standin.url, false);
    clients.push(client);
    expect(await client.connect()).toBe('1.4');
    expect(standin.requests.at(-1)).toEqual({ module: 'kz.digiflow.mobile.extensions', method: 'getVersion' });
    expect(await client.getActiveTokens()).toEqual([]);
    expect(await client.getKeyInfo(NCALayerClient.fileStorageType)).toMatchObject({ algorithm: 'RSA', subjectCn: 'ТЕСТОВ ТЕСТ' });
  });

  it('sign-in: basics sign of the challenge with an AUTH key (detached CMS) verifies for purpose auth', async () => {
    const client = await connected();
    const challenge = issueChallenge({ now: new Date() });
    const content = challengeContent(challenge);
    const cms = await client.basicsSignCMS(NCALayerClient.basicsStoragePKCS12, Buffer.from(content).toString('base64'),
      NCALayerClient.basicsCMSParamsDetached, NCALayerClient.basicsSignerAuthPerson);
    expect(standin.requests.at(-1)).toMatchObject({ module: 'kz.gov.pki.knca.basics', method: 'sign', args: { format: 'cms', signerParams: { extKeyUsageOids: ['1.3.6.1.5.5.7.3.2', '1.2.398.3.3.4.1.1'] } } });
    const result = await verifyCms({ cms: cms as string, content, purpose: 'auth', trust, revocation: revocation() });
    expect(result).toMatchObject({ ok: true, signer: { iin: '880101300123', keyPurpose: 'auth' } });
  });

  it("a legal entity employee's SIGN key is picked by the employee OIDs; several documents at once", async () => {
    const client = await connected();
    const documents = ['first', 'second'].map((text) => Buffer.from(text).toString('base64'));
    const signatures = await client.basicsSignCMS(NCALayerClient.basicsStorageAll, documents, NCALayerClient.basicsCMSParamsDetached, NCALayerClient.basicsSignerSignEmployee);
    expect(signatures).toHaveLength(2);
    const second = await verifyCms({ cms: (signatures as string[])[1]!, content: Buffer.from('second'), purpose: 'sign', trust, revocation: revocation() });
    expect(second).toMatchObject({ ok: true, signer: { bin: '123456789021', roles: ['employee'] } });
  });

  it('commonUtils createCAdESFromBase64 with the SIGNATURE key, attached', async () => {
    const client = await connected();
    const cms = await client.createCAdESFromBase64(NCALayerClient.fileStorageType, Buffer.from('attached text').toString('base64'), 'SIGNATURE', true);
    const result = await verifyCms({ cms, purpose: 'sign', trust, revocation: revocation() });
    expect(result.ok).toBe(true);
    if (result.ok) expect(Buffer.from(result.content).toString()).toBe('attached text');
  });

  it('the user cancels: the client reports canceledByUser', async () => {
    const client = await connected();
    standin.cancelNext();
    const error = await client.basicsSignCMS(NCALayerClient.basicsStorageAll, 'MTEK', NCALayerClient.basicsCMSParamsDetached, NCALayerClient.basicsSignerSignAny)
      .catch((caught: NCALayerError) => caught);
    expect(error).toMatchObject({ name: 'NCALayerError', canceledByUser: true });
  });

  it('hash signing is refused with an error, not a wrong signature', async () => {
    const client = await connected();
    await expect(client.basicsSignCMS(NCALayerClient.basicsStorageAll, 'MTEK', NCALayerClient.basicsCMSParamsDetachedHash, NCALayerClient.basicsSignerSignAny))
      .rejects.toThrow(/hash signing/);
  });

  it('serves wss:// with a self-signed certificate', async () => {
    const secure = await startNcaLayerStandin({ keys: [{ p12Path: pki.keys.individualSign.p12Path, password: TEST_PKI_PASSWORD }], tls: true });
    try {
      expect(secure.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
      const socket = new WsClient(secure.url, { rejectUnauthorized: false });
      const first = await new Promise<string>((resolve, reject) => {
        socket.once('message', (data) => resolve(String(data)));
        socket.once('error', reject);
      });
      socket.close();
      expect(JSON.parse(first)).toEqual({ result: { version: '1.4' } });
    } finally {
      await secure.close();
    }
  });
});
