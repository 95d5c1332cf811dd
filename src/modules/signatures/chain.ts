/**
 * Certification path from the signer's certificate to an anchor of the trust store. Issuers are
 * looked up by name among the anchors and the certificates the signature carries, and each link
 * is accepted only when the issuer is a CA and its key verifies the certificate's signature (pkijs
 * Certificate.verify): a look-alike root with the NCA's names but another key never links.
 */
import type * as pkijs from 'pkijs';
import { signatureAlgorithm } from './algorithms.ts';
import { isCa, nameText, sameCertificate } from './certificates.ts';

export type PathResult =
  | { ok: true; path: pkijs.Certificate[] }
  | { ok: false; code: 'unknown_ca' | 'unsupported_algorithm'; reason: string };

const MAX_DEPTH = 8;

export async function buildPath(leaf: pkijs.Certificate, carried: pkijs.Certificate[], anchors: pkijs.Certificate[]): Promise<PathResult> {
  const path = [leaf];
  let current = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth += 1) {
    if (anchors.some((anchor) => sameCertificate(anchor, current))) return { ok: true, path };
    const algorithm = signatureAlgorithm(current.signatureAlgorithm.algorithmId);
    if (!algorithm.ok) return { ok: false, code: 'unsupported_algorithm', reason: `certificate ${nameText(current.subject)}: ${algorithm.reason}` };
    if (current.subject.isEqual(current.issuer) && (await current.verify().catch(() => false))) {
      return { ok: false, code: 'unknown_ca', reason: `self-signed ${nameText(current.subject)} is not in the trust store (a look-alike root?)` };
    }
    const candidates = [...anchors, ...carried].filter((candidate) => candidate !== current && candidate.subject.isEqual(current.issuer) && isCa(candidate));
    let next: pkijs.Certificate | null = null;
    for (const candidate of candidates) {
      if (await current.verify(candidate).catch(() => false)) {
        next = candidate;
        break;
      }
    }
    if (!next) {
      return {
        ok: false,
        code: 'unknown_ca',
        reason: candidates.length === 0
          ? `no trusted issuer named ${nameText(current.issuer)}`
          : `${nameText(current.issuer)} in the trust store did not sign ${nameText(current.subject)} (a look-alike CA?)`,
      };
    }
    path.push(next);
    current = next;
  }
  return { ok: false, code: 'unknown_ca', reason: 'certification path too long' };
}
