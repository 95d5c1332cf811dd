/**
 * Revocation of the signer's certificate: OCSP first (the responder in the certificate's AIA, or
 * a configured one), then the CRL (the certificate's CDP, or configured URLs). The first decisive
 * answer wins; when none comes, `onUnavailable` decides — refuse by default — and the result says
 * which it was and why.
 */
import type * as pkijs from 'pkijs';
import { crlUrls, ocspUrls } from './certificates.ts';
import { createCrlCache, type CrlCache } from './crl.ts';
import { queryOcsp } from './ocsp.ts';
import type { SignatureEnv } from '../../config.ts';
import type { RevocationAttempt, RevocationResult } from './signatures.schemas.ts';

export interface RevocationSettings {
  ocsp: boolean;
  /** Used instead of the certificate's AIA responder. */
  ocspUrl?: string | undefined;
  crl: boolean;
  /** Used instead of the certificate's CDP. */
  crlUrls?: string[] | undefined;
  onUnavailable: 'refuse' | 'allow';
  timeoutMs: number;
  crlCache: CrlCache;
}

export function revocationSettingsFromEnv(env: SignatureEnv): RevocationSettings {
  return {
    ocsp: env.PKI_OCSP,
    ocspUrl: env.PKI_OCSP_URL,
    crl: env.PKI_CRL,
    crlUrls: env.PKI_CRL_URLS.length > 0 ? env.PKI_CRL_URLS : undefined,
    onUnavailable: env.PKI_REVOCATION_UNAVAILABLE,
    timeoutMs: env.PKI_REVOCATION_TIMEOUT_MS,
    crlCache: createCrlCache({ timeoutMs: env.PKI_REVOCATION_TIMEOUT_MS }),
  };
}

export async function checkRevocation(
  certificate: pkijs.Certificate,
  issuer: pkijs.Certificate,
  settings: RevocationSettings,
  now: Date = new Date(),
): Promise<RevocationResult> {
  const attempts: RevocationAttempt[] = [];
  if (settings.ocsp) {
    const urls = settings.ocspUrl ? [settings.ocspUrl] : ocspUrls(certificate);
    if (urls.length === 0) attempts.push({ source: 'ocsp', url: '', outcome: 'unavailable', reason: 'no OCSP responder in the certificate or settings' });
    for (const url of urls) {
      const outcome = await queryOcsp({ certificate, issuer, url, timeoutMs: settings.timeoutMs, now });
      if (outcome.status === 'good' || outcome.status === 'revoked') {
        attempts.push({ source: 'ocsp', url, outcome: outcome.status });
        return { status: outcome.status, source: 'ocsp', revokedAt: outcome.status === 'revoked' ? outcome.revokedAt : null, allowedUnavailable: false, attempts };
      }
      attempts.push({ source: 'ocsp', url, outcome: outcome.status, reason: outcome.status === 'unavailable' ? outcome.reason : 'responder does not know the certificate' });
    }
  }
  if (settings.crl) {
    const urls = settings.crlUrls ?? crlUrls(certificate);
    if (urls.length === 0) attempts.push({ source: 'crl', url: '', outcome: 'unavailable', reason: 'no CRL distribution point in the certificate or settings' });
    for (const url of urls) {
      const outcome = await settings.crlCache.check({ certificate, issuer, url, now });
      if (outcome.status !== 'unavailable') {
        attempts.push({ source: 'crl', url, outcome: outcome.status });
        return { status: outcome.status, source: 'crl', revokedAt: outcome.status === 'revoked' ? outcome.revokedAt : null, allowedUnavailable: false, attempts };
      }
      attempts.push({ source: 'crl', url, outcome: 'unavailable', reason: outcome.reason });
    }
  }
  return { status: 'unavailable', source: null, revokedAt: null, allowedUnavailable: settings.onUnavailable === 'allow', attempts };
}
