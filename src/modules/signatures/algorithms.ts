/**
 * Which algorithms the verifier checks. RSA (PKCS#1 v1.5) and ECDSA on NIST curves with SHA-256,
 * SHA-384 or SHA-512 are verified through WebCrypto (via pkijs). The NCA's GOST keys — ГОСТ
 * 34.310-2004 (1.2.398.3.10.1.1.1.*) and ГОСТ 34.10-2015 (1.2.398.3.10.1.1.2.*) — are refused
 * with `unsupported_algorithm`: no maintained JavaScript library implements them with the NCA's
 * parameters (WebCrypto has none, pkijs maps none). SHA-1 is refused too.
 */
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
};
const DIGEST_ALGORITHMS: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};
const PUBLIC_KEY_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'RSA',
  '1.2.840.10045.2.1': 'EC',
};
const KNOWN_UNSUPPORTED: Array<[prefix: string, name: string]> = [
  ['1.2.398.3.10.1.1.2.', 'ГОСТ 34.10-2015 (NCA)'],
  ['1.2.398.3.10.1.1.1.', 'ГОСТ 34.310-2004 (NCA)'],
  ['1.2.398.3.10.', 'Kazakh GOST (NCA)'],
  ['1.2.643.', 'GOST R (Russian)'],
  ['1.3.14.3.2.26', 'SHA-1'],
  ['1.2.840.113549.1.1.5', 'sha1WithRSAEncryption'],
];

function unsupported(oid: string): string {
  const known = KNOWN_UNSUPPORTED.find(([prefix]) => oid.startsWith(prefix));
  return known ? `${known[1]} (${oid}) is not verified by this portal` : `algorithm ${oid} is not verified by this portal`;
}

export type AlgorithmCheck = { ok: true; name: string } | { ok: false; reason: string };

export function signatureAlgorithm(oid: string): AlgorithmCheck {
  const name = SIGNATURE_ALGORITHMS[oid];
  return name ? { ok: true, name } : { ok: false, reason: unsupported(oid) };
}

export function digestAlgorithm(oid: string): AlgorithmCheck {
  const name = DIGEST_ALGORITHMS[oid];
  return name ? { ok: true, name } : { ok: false, reason: unsupported(oid) };
}

export function publicKeyAlgorithm(oid: string): AlgorithmCheck {
  const name = PUBLIC_KEY_ALGORITHMS[oid];
  return name ? { ok: true, name } : { ok: false, reason: unsupported(oid) };
}
