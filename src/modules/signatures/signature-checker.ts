/**
 * The portal's verifier of signed documents: verifyCms with the trust store and revocation
 * settings of config.pki, made once per configuration so that every caller shares one loaded trust
 * store and one CRL cache. Null when no trust store is configured: then nothing is verified and
 * signing is not asked for.
 */
import type { SignatureEnv } from '../../config.ts';
import { revocationSettingsFromEnv, type RevocationSettings } from './revocation.ts';
import type { SignaturePurpose, VerificationResult } from './signatures.schemas.ts';
import { loadTrustStore, type TrustStore } from './trust-store.ts';
import { verifyCms } from './verify-cms.ts';

export interface SignatureChecker {
  verify(input: { cms: Uint8Array | string; content?: Uint8Array | undefined; purpose: SignaturePurpose }): Promise<VerificationResult>;
}

const checkers = new WeakMap<SignatureEnv, SignatureChecker>();

export function signatureCheckerFor(env: SignatureEnv | null): SignatureChecker | null {
  if (!env) return null;
  const known = checkers.get(env);
  if (known) return known;
  let trust: Promise<TrustStore> | null = null;
  let revocation: RevocationSettings | null = null;
  const checker: SignatureChecker = {
    async verify(input) {
      // Loaded at the first signature, not at start-up: a portal without signed traffic never reads it.
      trust ??= loadTrustStore(env.PKI_TRUST_DIR);
      revocation ??= revocationSettingsFromEnv(env);
      return verifyCms({ cms: input.cms, content: input.content, purpose: input.purpose, trust: await trust, revocation });
    },
  };
  checkers.set(env, checker);
  return checker;
}
