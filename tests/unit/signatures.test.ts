/** The pure parts of the signatures module: sign-in challenge, canonical manifest, algorithm list. */
import { describe, expect, it } from 'vitest';
import { digestAlgorithm, publicKeyAlgorithm, signatureAlgorithm } from '../../src/modules/signatures/algorithms.ts';
import { challengeContent, CHALLENGE_TTL_MS, issueChallenge, redeemChallenge } from '../../src/modules/signatures/challenge.ts';
import { canonicalManifest, type SubmissionManifest } from '../../src/modules/signatures/manifest.ts';
import { signatureEnvSchema } from '../../src/config.ts';
import { REFUSAL_CODES } from '../../src/modules/signatures/signatures.schemas.ts';

const now = new Date('2026-12-03T10:00:00Z');

describe('sign-in challenge', () => {
  it('is a 256-bit random nonce valid for two minutes', () => {
    const challenge = issueChallenge({ now });
    expect(challenge.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(challenge.expiresAt.getTime() - now.getTime()).toBe(CHALLENGE_TTL_MS);
    expect(issueChallenge({ now }).nonce).not.toBe(challenge.nonce);
    expect(Buffer.from(challengeContent(challenge)).toString()).toBe(challenge.nonce);
  });

  it('is redeemed once, only with its nonce, only before it expires', () => {
    const challenge = issueChallenge({ now, random: (size) => new Uint8Array(size).fill(7) });
    const first = redeemChallenge(challenge, challenge.nonce, new Date(now.getTime() + 1000));
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.challenge.usedAt).toEqual(new Date(now.getTime() + 1000));
    expect(redeemChallenge(first.challenge, challenge.nonce, new Date(now.getTime() + 2000))).toEqual({ ok: false, reason: 'used' });
    expect(redeemChallenge(challenge, `${challenge.nonce.slice(0, -1)}A`, now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(redeemChallenge(challenge, challenge.nonce, challenge.expiresAt)).toEqual({ ok: false, reason: 'expired' });
    expect(redeemChallenge(null, challenge.nonce, now)).toEqual({ ok: false, reason: 'unknown' });
  });
});

describe('canonical submission manifest', () => {
  const manifest: SubmissionManifest = {
    kind: 'submission',
    objectId: 'obj-1',
    submissionId: 'sub-1',
    organizationBin: '123456789021',
    submittedAt: '2026-12-03T10:00:00Z',
    documents: [
      { slot: 'tz', fileName: 'ТЗ.pdf', sha256: 'b'.repeat(64), bytes: 10 },
      { slot: 'passport', fileName: 'passport.pdf', sha256: 'a'.repeat(64), bytes: 5 },
    ],
  };

  it('gives the same bytes whatever the order of keys and documents', () => {
    const reordered = { documents: [...manifest.documents].reverse(), submittedAt: manifest.submittedAt, organizationBin: manifest.organizationBin, submissionId: 'sub-1', objectId: 'obj-1', kind: 'submission' as const };
    const a = canonicalManifest(manifest);
    const b = canonicalManifest(reordered);
    expect(a.text).toBe(b.text);
    expect(a.sha256).toBe(b.sha256);
    expect(a.text.startsWith('{"documents":[{"bytes":5,"fileName":"passport.pdf"')).toBe(true);
    expect(Buffer.from(a.bytes).toString('utf8')).toBe(a.text);
  });

  it('refuses a manifest without documents or with a bad digest', () => {
    expect(() => canonicalManifest({ ...manifest, documents: [] })).toThrow();
    expect(() => canonicalManifest({ ...manifest, documents: [{ slot: 'tz', fileName: 'a', sha256: 'xyz', bytes: 1 }] })).toThrow();
  });
});

describe('algorithms', () => {
  it('verifies RSA and ECDSA with SHA-2; refuses GOST and SHA-1 with a reason', () => {
    expect(signatureAlgorithm('1.2.840.113549.1.1.11')).toEqual({ ok: true, name: 'sha256WithRSAEncryption' });
    expect(digestAlgorithm('2.16.840.1.101.3.4.2.1')).toEqual({ ok: true, name: 'SHA-256' });
    expect(publicKeyAlgorithm('1.2.840.10045.2.1')).toEqual({ ok: true, name: 'EC' });
    expect(signatureAlgorithm('1.2.398.3.10.1.1.1.2')).toMatchObject({ ok: false, reason: expect.stringMatching(/ГОСТ 34\.310-2004/) });
    expect(publicKeyAlgorithm('1.2.398.3.10.1.1.2.3.1')).toMatchObject({ ok: false, reason: expect.stringMatching(/ГОСТ 34\.10-2015/) });
    expect(digestAlgorithm('1.3.14.3.2.26')).toMatchObject({ ok: false, reason: expect.stringMatching(/SHA-1/) });
  });
});

describe('settings', () => {
  it('refuse when revocation is unavailable unless told otherwise; the refusal codes are closed', () => {
    const env = signatureEnvSchema.parse({ PKI_TRUST_DIR: '/etc/nca' });
    expect(env).toMatchObject({ PKI_OCSP: true, PKI_CRL: true, PKI_REVOCATION_UNAVAILABLE: 'refuse', PKI_CRL_URLS: [] });
    expect(signatureEnvSchema.parse({ PKI_TRUST_DIR: 'x', PKI_CRL_URLS: 'http://a/1.crl, http://b/2.crl' }).PKI_CRL_URLS).toEqual(['http://a/1.crl', 'http://b/2.crl']);
    expect(signatureEnvSchema.safeParse({ PKI_TRUST_DIR: 'x', PKI_REVOCATION_UNAVAILABLE: 'maybe' }).success).toBe(false);
    expect(signatureEnvSchema.parse({ PKI_TRUST_DIR: 'x', PKI_OCSP_URL: 'http://ocsp.pki.gov.kz', PKI_OCSP: 'false' })).toMatchObject({ PKI_OCSP_URL: 'http://ocsp.pki.gov.kz', PKI_OCSP: false });
    expect(signatureEnvSchema.safeParse({ PKI_TRUST_DIR: 'x', PKI_OCSP_URL: 'ldap://ocsp' }).success).toBe(false);
    expect(REFUSAL_CODES).toHaveLength(10);
  });
});
