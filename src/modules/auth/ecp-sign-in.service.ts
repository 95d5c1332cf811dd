/**
 * Sign-in with ЭЦП (000 §4.2): the browser signs a fresh single-use challenge with an NCA AUTH key
 * through NCALayer; the portal takes the challenge once, verifies the CMS for sign-in (path to the
 * trust store, validity now, AUTH profile, revocation), finds the account by the certificate's IIN
 * and, for a legal entity employee's certificate, checks its BIN against the account's
 * organization. A signed AUTH key is two factors (the token or file, and its password), so no
 * one-time code is asked after it. Every refusal is audited with its reason.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { SignatureEnv } from '../../config.ts';
import { recordAuditEvent, userActor } from '../audit/audit.service.ts';
import { challengeContent, issueChallenge, redeemChallenge } from '../signatures/challenge.ts';
import { revocationSettingsFromEnv, type RevocationSettings } from '../signatures/revocation.ts';
import { REFUSAL_CODES, type Signer } from '../signatures/signatures.schemas.ts';
import { loadTrustStore, type TrustStore } from '../signatures/trust-store.ts';
import { verifyCms } from '../signatures/verify-cms.ts';
import { findUserByIin } from '../users/users.repository.ts';
import { updateUserAudited } from '../users/users.service.ts';
import { type AuthUser, toAuthUser } from '../../access/permissions.ts';
import { insertSignInChallenge, lockSignInChallenge, markSignInChallengeUsed, recordCertificateUse } from './auth.repository.ts';

/** Choosing the key in NCALayer and typing its password takes a while; the nonce is good for this long. */
export const ECP_CHALLENGE_TTL_MS = 5 * 60_000;

/** The verifier's refusals (one list, signatures.schemas.ts) and sign-in's own. */
export const ECP_REFUSALS = [
  'challenge_invalid',
  'challenge_expired',
  ...REFUSAL_CODES,
  'no_iin',
  'unknown_iin',
  'other_organization',
  'account_inactive',
] as const;
export type EcpRefusal = (typeof ECP_REFUSALS)[number];

/** The trust store and revocation settings sign-in verifies with; null when ЭЦП is off. */
export interface EcpVerification {
  trust: TrustStore;
  revocation: RevocationSettings;
}

export async function loadEcpVerification(pki: SignatureEnv | null): Promise<EcpVerification | null> {
  if (!pki) return null;
  return { trust: await loadTrustStore(pki.PKI_TRUST_DIR), revocation: revocationSettingsFromEnv(pki) };
}

/** What the account-request form is prefilled with for a certificate whose IIN has no account. */
export interface CertificatePerson {
  surname: string | null;
  givenName: string | null;
  bin: string | null;
}

export type EcpSignInResult =
  | { ok: true; user: AuthUser; certificateLinked: boolean }
  | { ok: false; reason: EcpRefusal; person?: CertificatePerson };

/** A fresh challenge, kept until used or expired; the browser signs its nonce. */
export async function startEcpSignIn(db: Kysely<Database>, now = new Date()): Promise<{ nonce: string; expiresAt: Date }> {
  const challenge = issueChallenge({ now, ttlMs: ECP_CHALLENGE_TTL_MS });
  await insertSignInChallenge(db, challenge);
  return { nonce: challenge.nonce, expiresAt: challenge.expiresAt };
}

function signerSummary(signer: Signer | null): Record<string, unknown> | null {
  if (!signer) return null;
  return { iin: signer.iin, bin: signer.bin, serialNumber: signer.certificate.serialNumber, issuer: signer.certificate.issuer, subject: signer.certificate.subject };
}

export async function completeEcpSignIn(
  db: Kysely<Database>,
  verification: EcpVerification,
  input: { nonce: string; cms: string; requestId?: string },
  now = new Date(),
): Promise<EcpSignInResult> {
  const anonymous = { kind: 'system', label: 'anonymous' } as const;
  const refuse = async (reason: EcpRefusal, signer: Signer | null, entityId: string, person?: CertificatePerson): Promise<EcpSignInResult> => {
    await db.transaction().execute((trx) =>
      recordAuditEvent(trx, { actor: anonymous, entityType: 'sign_in', entityId, action: 'sign_in.ecp_refused', after: { reason, certificate: signerSummary(signer) }, requestId: input.requestId }),
    );
    return person ? { ok: false, reason, person } : { ok: false, reason };
  };

  // The challenge is spent before the signature is looked at: a refused attempt cannot be retried with it.
  const redeemed = await db.transaction().execute(async (trx) => {
    const kept = input.nonce ? await lockSignInChallenge(trx, input.nonce) : null;
    const result = redeemChallenge(kept, input.nonce, now);
    if (result.ok) await markSignInChallengeUsed(trx, input.nonce, now);
    return result;
  });
  if (!redeemed.ok) return refuse(redeemed.reason === 'expired' ? 'challenge_expired' : 'challenge_invalid', null, 'ecp');

  const verified = await verifyCms({ cms: input.cms, content: challengeContent(redeemed.challenge), purpose: 'auth', at: now, trust: verification.trust, revocation: verification.revocation });
  if (!verified.ok) return refuse(verified.code, verified.signer, verified.signer?.iin ?? 'ecp');
  const signer = verified.signer;
  if (!signer.iin) return refuse('no_iin', signer, 'ecp');

  const row = await findUserByIin(db, signer.iin);
  if (!row) return refuse('unknown_iin', signer, signer.iin, { surname: signer.surname, givenName: signer.givenName, bin: signer.bin });
  if (row.status !== 'active') return refuse('account_inactive', signer, row.id);
  // An employee's certificate speaks for its organization: only that organization's account.
  if (signer.kind === 'legal_entity' && signer.bin !== row.organization_bin) return refuse('other_organization', signer, row.id);

  const user = toAuthUser(row);
  const certificate = signer.certificate;
  const { linked } = await db.transaction().execute(async (trx) => {
    const use = await recordCertificateUse(trx, {
      userId: row.id,
      serialNumber: certificate.serialNumber,
      issuer: certificate.issuer,
      subject: certificate.subject,
      iin: signer.iin!,
      bin: signer.bin,
      notAfter: certificate.notAfter,
    }, now);
    if (use.linked) {
      await recordAuditEvent(trx, { actor: userActor(user), entityType: 'user', entityId: row.id, action: 'user.certificate_linked', after: signerSummary(signer), requestId: input.requestId });
    }
    await updateUserAudited(trx, {
      userId: row.id,
      changes: { failed_sign_ins: 0, locked_until: null, last_sign_in_at: now },
      actor: userActor(user),
      action: 'sign_in.succeeded',
      after: { method: 'ecp', serialNumber: certificate.serialNumber, revocation: verified.revocation.status },
      requestId: input.requestId,
    });
    return use;
  });
  return { ok: true, user, certificateLinked: linked };
}
