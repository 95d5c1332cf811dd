/**
 * verifyCms against a real PKI (openssl), a real OCSP responder and a real CRL server: a good
 * signature of every NCA profile passes, and each refusal code comes from its own check.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrlCache } from '../../src/modules/signatures/crl.ts';
import { queryOcsp } from '../../src/modules/signatures/ocsp.ts';
import type { RevocationSettings } from '../../src/modules/signatures/revocation.ts';
import { loadTrustStore, type TrustStore } from '../../src/modules/signatures/trust-store.ts';
import { verifyCms } from '../../src/modules/signatures/verify-cms.ts';
import { derBlocks, parseCertificate } from '../../src/modules/signatures/certificates.ts';
import { createTestPki, type TestPki } from '../support/test-pki.ts';

let pki: TestPki;
let trust: TrustStore;
const content = Buffer.from('{"kind":"submission","objectId":"IS-0001"}');

function online(overrides: Partial<RevocationSettings> = {}): RevocationSettings {
  return { ocsp: true, crl: true, onUnavailable: 'refuse', timeoutMs: 2000, crlCache: createCrlCache({ timeoutMs: 2000 }), ...overrides };
}

/** Re-encodes a CMS after `change` altered its only SignerInfo (pkijs, not hand-written ASN.1). */
function alterSignerInfo(cms: Buffer, change: (signerInfo: pkijs.SignerInfo) => void): Buffer {
  const info = pkijs.ContentInfo.fromBER(new Uint8Array(cms));
  const signedData = new pkijs.SignedData({ schema: info.content });
  change(signedData.signerInfos[0]!);
  const out = new pkijs.ContentInfo({ contentType: info.contentType, content: signedData.toSchema(true) });
  return Buffer.from(out.toSchema().toBER(false));
}

beforeAll(async () => {
  pki = await createTestPki();
  trust = await loadTrustStore(pki.trustDir);
});
afterAll(async () => {
  await pki?.close();
});

describe('trust store', () => {
  it('reads PEM and DER files; refuses a folder with a certificate that is not a CA, or none', async () => {
    expect(trust.files).toEqual(['nca_rsa.cer', 'root.pem']);
    expect(trust.anchors).toHaveLength(2);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'trust-'));
    try {
      await expect(loadTrustStore(dir)).rejects.toThrow(/no CA certificates/);
      copyFileSync(pki.keys.individualSign.certPath, path.join(dir, 'leaf.pem'));
      await expect(loadTrustStore(dir)).rejects.toThrow(/leaf\.pem: not a CA certificate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('good signatures', () => {
  it('an individual signs in with an AUTH key: IIN, policy, key usage, OCSP good', async () => {
    const result = await verifyCms({ cms: await pki.sign(pki.keys.individualAuth, content), content, purpose: 'auth', trust, revocation: online() });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.signer).toMatchObject({ iin: '880101300123', bin: null, kind: 'individual', keyPurpose: 'auth', surname: 'ТЕСТОВ', policies: ['1.2.398.3.3.2.4'] });
    expect(result.signer.keyUsage).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(result.signer.certificate.serialNumber).toBe(pki.keys.individualAuth.serialHex);
    expect(result.revocation).toMatchObject({ status: 'good', source: 'ocsp' });
    expect(result.algorithm).toEqual({ signature: 'rsaEncryption', digest: 'SHA-256' });
    expect(result.attached).toBe(false);
    expect(Math.abs(result.signingTime!.getTime() - Date.now())).toBeLessThan(120_000);
  });

  it('an individual signs a document with a SIGN key', async () => {
    const result = await verifyCms({ cms: await pki.sign(pki.keys.individualSign, content), content, purpose: 'sign', trust, revocation: online() });
    expect(result).toMatchObject({ ok: true, signer: { iin: '880101300123', keyPurpose: 'sign', policies: ['1.2.398.3.3.2.3'] } });
  });

  it("a legal entity's employee: IIN, BIN, organization, role, AUTH and SIGN", async () => {
    const auth = await verifyCms({ cms: await pki.sign(pki.keys.employeeAuth, content), content, purpose: 'auth', trust, revocation: online() });
    const sign = await verifyCms({ cms: await pki.sign(pki.keys.employeeSign, content), content, purpose: 'sign', trust, revocation: online() });
    for (const result of [auth, sign]) {
      expect(result).toMatchObject({ ok: true, signer: { iin: '900215400567', bin: '123456789021', organization: 'АО "ТЕСТОВАЯ ОРГАНИЗАЦИЯ"', kind: 'legal_entity', roles: ['employee'] } });
    }
    expect(auth.signer?.keyPurpose).toBe('auth');
    expect(sign.signer?.keyPurpose).toBe('sign');
  });

  it('an ECDSA P-256 key with SHA-256', async () => {
    const result = await verifyCms({ cms: await pki.sign(pki.keys.ecSign, content), content, purpose: 'sign', trust, revocation: online() });
    expect(result).toMatchObject({ ok: true, algorithm: { signature: 'ecdsa-with-SHA256', digest: 'SHA-256' } });
  });

  it('an attached CMS given as base64 (as NCALayer returns it) yields its content', async () => {
    const cms = (await pki.sign(pki.keys.employeeSign, content, { attached: true })).toString('base64');
    const result = await verifyCms({ cms, purpose: 'sign', trust, revocation: online() });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.attached).toBe(true);
      expect(Buffer.from(result.content).equals(content)).toBe(true);
    }
    expect((await verifyCms({ cms, content, purpose: 'sign', trust, revocation: online() })).ok).toBe(true);
  });
});

describe('refusals', () => {
  it('content_mismatch: detached over other bytes, attached other than expected', async () => {
    const detached = await verifyCms({ cms: await pki.sign(pki.keys.individualSign, content), content: Buffer.from('tampered'), purpose: 'sign', trust, revocation: online() });
    expect(detached).toMatchObject({ ok: false, code: 'content_mismatch' });
    const attached = await verifyCms({ cms: await pki.sign(pki.keys.individualSign, content, { attached: true }), content: Buffer.from('tampered'), purpose: 'sign', trust, revocation: online() });
    expect(attached).toMatchObject({ ok: false, code: 'content_mismatch' });
  });

  it('bad_signature: one bit of the signature value flipped', async () => {
    const cms = alterSignerInfo(await pki.sign(pki.keys.individualSign, content), (signerInfo) => {
      const value = new Uint8Array(signerInfo.signature.valueBlock.valueHexView);
      value[10] = value[10]! ^ 0x01;
      signerInfo.signature = new asn1js.OctetString({ valueHex: value });
    });
    expect(await verifyCms({ cms, content, purpose: 'sign', trust, revocation: online() })).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('unknown_ca: a look-alike NCA root with the same names', async () => {
    const result = await verifyCms({ cms: await pki.sign(pki.keys.lookAlike, content), content, purpose: 'sign', trust, revocation: online() });
    expect(result).toMatchObject({ ok: false, code: 'unknown_ca', signer: { iin: '880101300123' } });
  });

  it('unknown_ca: a trust store holding only the root does not accept a CMS without the issuing CA', async () => {
    const rootOnly = { anchors: trust.anchors.filter((anchor) => anchor.subject.isEqual(anchor.issuer)), files: ['root.pem'] };
    const withChain = await verifyCms({ cms: await pki.sign(pki.keys.individualSign, content), content, purpose: 'sign', trust: rootOnly, revocation: online() });
    expect(withChain.ok).toBe(true);
    const info = pkijs.ContentInfo.fromBER(new Uint8Array(await pki.sign(pki.keys.individualSign, content)));
    const signedData = new pkijs.SignedData({ schema: info.content });
    signedData.certificates = [parseCertificate(derBlocks(pki.keys.individualSign.certPem)[0]!)];
    const stripped = Buffer.from(new pkijs.ContentInfo({ contentType: info.contentType, content: signedData.toSchema(true) }).toSchema().toBER(false));
    expect(await verifyCms({ cms: stripped, content, purpose: 'sign', trust: rootOnly, revocation: online() })).toMatchObject({ ok: false, code: 'unknown_ca' });
  });

  it('expired and not_yet_valid at the signing time', async () => {
    expect(await verifyCms({ cms: await pki.sign(pki.keys.expired, content), content, purpose: 'sign', trust, revocation: online() }))
      .toMatchObject({ ok: false, code: 'expired' });
    expect(await verifyCms({ cms: await pki.sign(pki.keys.notYetValid, content), content, purpose: 'sign', trust, revocation: online() }))
      .toMatchObject({ ok: false, code: 'not_yet_valid' });
  });

  it('sign-in also needs the certificate valid now; a signed document only at its signing time', async () => {
    const later = new Date(Date.now() + 400 * 24 * 3600_000);
    const auth = await verifyCms({ cms: await pki.sign(pki.keys.individualAuth, content), content, purpose: 'auth', at: later, trust, revocation: 'skip' });
    expect(auth).toMatchObject({ ok: false, code: 'expired' });
    const sign = await verifyCms({ cms: await pki.sign(pki.keys.individualSign, content), content, purpose: 'sign', at: later, trust, revocation: 'skip' });
    expect(sign).toMatchObject({ ok: true, revocation: { status: 'not_checked' } });
  });

  it('wrong_key_usage: an AUTH key cannot sign a document, a SIGN key cannot sign in', async () => {
    const authForSign = await verifyCms({ cms: await pki.sign(pki.keys.individualAuth, content), content, purpose: 'sign', trust, revocation: online() });
    expect(authForSign).toMatchObject({ ok: false, code: 'wrong_key_usage' });
    const signForAuth = await verifyCms({ cms: await pki.sign(pki.keys.employeeSign, content), content, purpose: 'auth', trust, revocation: online() });
    expect(signForAuth).toMatchObject({ ok: false, code: 'wrong_key_usage' });
  });

  it('unsupported_algorithm: SHA-1, and GOST 34.10-2015 named by the signer', async () => {
    const sha1 = await verifyCms({ cms: await pki.sign(pki.keys.individualSign, content, { digest: 'sha1' }), content, purpose: 'sign', trust, revocation: online() });
    expect(sha1).toMatchObject({ ok: false, code: 'unsupported_algorithm' });
    const gost = alterSignerInfo(await pki.sign(pki.keys.individualSign, content), (signerInfo) => {
      signerInfo.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.398.3.10.1.1.2.3.2' });
    });
    const result = await verifyCms({ cms: gost, content, purpose: 'sign', trust, revocation: online() });
    expect(result).toMatchObject({ ok: false, code: 'unsupported_algorithm' });
    expect(!result.ok && result.reason).toMatch(/ГОСТ 34\.10-2015/);
  });

  it('malformed: not CMS, empty, or detached without content', async () => {
    expect(await verifyCms({ cms: Buffer.from('not a signature'), content, purpose: 'sign', trust, revocation: online() })).toMatchObject({ ok: false, code: 'malformed' });
    expect(await verifyCms({ cms: new Uint8Array(0), content, purpose: 'sign', trust, revocation: online() })).toMatchObject({ ok: false, code: 'malformed' });
    expect(await verifyCms({ cms: await pki.sign(pki.keys.individualSign, content), purpose: 'sign', trust, revocation: online() })).toMatchObject({ ok: false, code: 'malformed' });
  });
});

describe('revocation', () => {
  it('revoked through OCSP', async () => {
    const result = await verifyCms({ cms: await pki.sign(pki.keys.revoked, content), content, purpose: 'sign', trust, revocation: online() });
    expect(result).toMatchObject({ ok: false, code: 'revoked', revocation: { status: 'revoked', source: 'ocsp' } });
    expect(result.revocation?.revokedAt).toBeInstanceOf(Date);
  });

  it('revoked through the CRL when OCSP is off, and the CRL is fetched once until its nextUpdate', async () => {
    const settings = online({ ocsp: false });
    const revoked = await verifyCms({ cms: await pki.sign(pki.keys.revoked, content), content, purpose: 'sign', trust, revocation: settings });
    expect(revoked).toMatchObject({ ok: false, code: 'revoked', revocation: { status: 'revoked', source: 'crl' } });
    const good = await verifyCms({ cms: await pki.sign(pki.keys.individualSign, content), content, purpose: 'sign', trust, revocation: settings });
    expect(good).toMatchObject({ ok: true, revocation: { status: 'good', source: 'crl' } });
    expect(settings.crlCache.downloads).toBe(1);
  });

  it('falls back to the CRL when the OCSP responder is unreachable', async () => {
    const result = await verifyCms({ cms: await pki.sign(pki.keys.revoked, content), content, purpose: 'sign', trust, revocation: online({ ocspUrl: pki.deadUrl }) });
    expect(result).toMatchObject({ ok: false, code: 'revoked', revocation: { source: 'crl' } });
    expect(result.revocation?.attempts[0]).toMatchObject({ source: 'ocsp', outcome: 'unavailable' });
  });

  it('nothing answers: refused by default, accepted and reported when the setting allows it', async () => {
    const cms = await pki.sign(pki.keys.individualSign, content);
    const unreachable = { ocspUrl: pki.deadUrl, crlUrls: [`${pki.deadUrl}nca.crl`] };
    const refused = await verifyCms({ cms, content, purpose: 'sign', trust, revocation: online(unreachable) });
    expect(refused).toMatchObject({ ok: false, code: 'revocation_unavailable', revocation: { status: 'unavailable', allowedUnavailable: false } });
    const allowed = await verifyCms({ cms, content, purpose: 'sign', trust, revocation: online({ ...unreachable, onUnavailable: 'allow' }) });
    expect(allowed).toMatchObject({ ok: true, revocation: { status: 'unavailable', allowedUnavailable: true } });
    expect(allowed.revocation?.attempts.map((attempt) => attempt.source)).toEqual(['ocsp', 'crl']);
  });

  it("an answer signed by the CA itself (no certificates in it) is believed; one signed by a look-alike CA is not", async () => {
    const cms = await pki.sign(pki.keys.revoked, content);
    const byCa = await verifyCms({ cms, content, purpose: 'sign', trust, revocation: online({ ocspUrl: await pki.startResponder('ca'), crl: false }) });
    expect(byCa).toMatchObject({ ok: false, code: 'revoked', revocation: { source: 'ocsp' } });
    const byLookAlike = await verifyCms({ cms, content, purpose: 'sign', trust, revocation: online({ ocspUrl: await pki.startResponder('look-alike'), crl: false }) });
    expect(byLookAlike).toMatchObject({ ok: false, code: 'revocation_unavailable' });
    expect(byLookAlike.revocation?.attempts[0]?.reason).toMatch(/signer not trusted|does not verify/);
  });

  it('an answer about another certificate is not taken for this one', async () => {
    const leaf = parseCertificate(derBlocks(pki.keys.individualSign.certPem)[0]!);
    const notTheIssuer = parseCertificate(derBlocks(pki.keys.lookAlike.certPem)[0]!);
    const outcome = await queryOcsp({ certificate: leaf, issuer: notTheIssuer, url: pki.ocspUrl, timeoutMs: 2000 });
    expect(outcome.status).toBe('unavailable');
  });

  it('a signer named by subject key identifier (openssl cms -keyid) is found', async () => {
    const result = await verifyCms({ cms: await pki.sign(pki.keys.employeeSign, content, { keyid: true }), content, purpose: 'sign', trust, revocation: online() });
    expect(result).toMatchObject({ ok: true, signer: { bin: '123456789021' } });
  });
});
