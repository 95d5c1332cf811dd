/**
 * The verifier's vocabulary: the closed list of refusal codes, the result it returns, and the
 * settings it takes (as a zod schema over environment variables, to be merged into the portal's
 * config later; the functions themselves take explicit options).
 */

export const REFUSAL_CODES = [
  'bad_signature',
  'content_mismatch',
  'unknown_ca',
  'expired',
  'not_yet_valid',
  'revoked',
  'revocation_unavailable',
  'wrong_key_usage',
  'unsupported_algorithm',
  'malformed',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** What a signature is for: sign-in (an NCA AUTH key) or a signed document (an NCA SIGN key). */
export type SignaturePurpose = 'auth' | 'sign';

export type KeyUsageName =
  | 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment'
  | 'keyAgreement' | 'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly';

export interface CertificateSummary {
  serialNumber: string;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
}

export interface Signer {
  commonName: string | null;
  surname: string | null;
  givenName: string | null;
  /** From SERIALNUMBER=IIN…; null when the subject carries none. */
  iin: string | null;
  /** From OU=BIN…, on a legal entity employee's certificate. */
  bin: string | null;
  organization: string | null;
  kind: 'individual' | 'legal_entity';
  /** NCA roles within the legal entity (ceo, can_sign, can_sign_financial, hr, employee). */
  roles: string[];
  /** What the certificate's profile says the key is for, or null when it names neither. */
  keyPurpose: SignaturePurpose | null;
  policies: string[];
  keyUsage: KeyUsageName[];
  extendedKeyUsage: string[];
  certificate: CertificateSummary;
}

export interface RevocationAttempt {
  source: 'ocsp' | 'crl';
  url: string;
  outcome: 'good' | 'revoked' | 'unknown' | 'unavailable';
  reason?: string;
}

export interface RevocationResult {
  /** `not_checked` only when the caller asked for no revocation check (offline CLI). */
  status: 'good' | 'revoked' | 'unavailable' | 'not_checked';
  source: 'ocsp' | 'crl' | null;
  revokedAt: Date | null;
  /** True when the status could not be learnt and the settings allowed it anyway. */
  allowedUnavailable: boolean;
  attempts: RevocationAttempt[];
}

export interface AlgorithmSummary {
  signature: string;
  digest: string;
}

interface VerificationCommon {
  signer: Signer | null;
  signingTime: Date | null;
  revocation: RevocationResult | null;
  algorithm: AlgorithmSummary | null;
  /** Whether the CMS carries its content (attached) or not (detached). */
  attached: boolean | null;
}

export type VerificationResult =
  | (VerificationCommon & { ok: true; signer: Signer; revocation: RevocationResult; content: Uint8Array })
  | (VerificationCommon & { ok: false; code: RefusalCode; reason: string });


