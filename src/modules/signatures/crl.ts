/**
 * CRLs fetched over HTTP, believed when signed by the certificate's issuer and current, and kept
 * in memory until their nextUpdate (one fetch at a time per URL).
 */
import * as pkijs from 'pkijs';
import { derBlocks } from './certificates.ts';

export type CrlOutcome =
  | { status: 'good'; url: string }
  | { status: 'revoked'; url: string; revokedAt: Date }
  | { status: 'unavailable'; url: string; reason: string };

interface Kept {
  crl: pkijs.CertificateRevocationList;
  nextUpdate: Date;
}

export interface CrlCache {
  check(options: { certificate: pkijs.Certificate; issuer: pkijs.Certificate; url: string; now?: Date }): Promise<CrlOutcome>;
  /** How many times a CRL was downloaded (for tests and measurements). */
  readonly downloads: number;
}

export function createCrlCache(options: { timeoutMs: number }): CrlCache {
  const kept = new Map<string, Kept>();
  const inFlight = new Map<string, Promise<Kept | string>>();
  let downloads = 0;

  async function download(url: string, issuer: pkijs.Certificate, now: Date): Promise<Kept | string> {
    let bytes: Uint8Array;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
      if (!response.ok) return `HTTP ${response.status}`;
      bytes = new Uint8Array(await response.arrayBuffer());
      downloads += 1;
    } catch (error) {
      return `request failed: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`;
    }
    let crl: pkijs.CertificateRevocationList;
    try {
      crl = pkijs.CertificateRevocationList.fromBER(derBlocks(bytes)[0]!);
    } catch (error) {
      return `unreadable CRL: ${error instanceof Error ? error.message : String(error)}`;
    }
    try {
      if (!(await crl.verify({ issuerCertificate: issuer }))) return 'CRL signature does not verify with the issuer';
    } catch (error) {
      return `CRL signature not checkable: ${error instanceof Error ? error.message : String(error)}`;
    }
    const nextUpdate = crl.nextUpdate?.value;
    if (!nextUpdate) return 'CRL without nextUpdate';
    if (nextUpdate.getTime() < now.getTime()) return 'CRL is stale (nextUpdate passed)';
    return { crl, nextUpdate };
  }

  return {
    get downloads() {
      return downloads;
    },
    async check({ certificate, issuer, url, now = new Date() }) {
      let current = kept.get(url);
      if (!current || current.nextUpdate.getTime() <= now.getTime() || !current.crl.issuer.isEqual(certificate.issuer)) {
        let pending = inFlight.get(url);
        if (!pending) {
          pending = download(url, issuer, now).finally(() => inFlight.delete(url));
          inFlight.set(url, pending);
        }
        const result = await pending;
        if (typeof result === 'string') return { status: 'unavailable', url, reason: result };
        kept.set(url, result);
        current = result;
      }
      if (!current.crl.issuer.isEqual(certificate.issuer)) return { status: 'unavailable', url, reason: 'CRL of another issuer' };
      const entry = current.crl.revokedCertificates?.find((revoked) => revoked.userCertificate.isEqual(certificate.serialNumber));
      return entry ? { status: 'revoked', url, revokedAt: entry.revocationDate.value } : { status: 'good', url };
    },
  };
}
