/**
 * The signed submission (000 §5.4): the staff member signs, with the SIGN key of their
 * organization's employee certificate (NCALayer), the canonical manifest of exactly what is being
 * submitted — the object, its passport version and the SHA-256 of the passport's canonical JSON,
 * every accepted document file with its SHA-256 and size, the submission's id and time. The portal
 * hands out the manifest's bytes (submissionManifestFor), the browser signs them, and the
 * submission carries the CMS and those bytes back; the server verifies the CMS (purpose 'sign'),
 * then, under the object's lock, builds the manifest again from the object as it is and refuses
 * unless the signed bytes are the same — so what is signed is what the case freezes.
 *
 * The signer must be the submitting person (the certificate's IIN equals users.iin, when the
 * account has one) of the object's owner organization (the certificate's BIN equals the owner's).
 * Refusals are VALIDATION_FAILED with field "signature" and one rule, a stable code:
 * signature_required, signature_<verifyCms refusal> (signature_content_mismatch,
 * signature_revoked, signature_wrong_key_usage, …), signature_manifest_invalid,
 * signature_manifest_stale, signature_other_organization, signature_other_person.
 */
import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AppError } from '../../errors.ts';
import { type CanonicalManifest, canonicalManifest, type SubmissionManifest, submissionManifestSchema } from '../signatures/manifest.ts';
import { derBlocks } from '../signatures/certificates.ts';
import type { SignatureChecker } from '../signatures/signature-checker.ts';
import type { Signer, VerificationResult } from '../signatures/signatures.schemas.ts';
import type { CaseSignature, SubmissionSnapshot } from './reviews.repository.ts';

/** How long a manifest handed out for signing stays good: time to pick the key and type its password. */
export const MANIFEST_TTL_MS = 15 * 60_000;
/** A manifest's time later than the server's by more than this is not believed. */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface SignedSubmissionInput {
  /** The CMS, base64 (as NCALayer returns it) or PEM. */
  signature?: string | null | undefined;
  /** The manifest's text as handed out; may be left out when the CMS carries it (attached). */
  manifest?: string | null | undefined;
}

/** A signature that verified, with its manifest, waiting for the transaction's checks. */
export interface VerifiedSubmission {
  manifest: SubmissionManifest;
  bytes: Uint8Array;
  cms: Uint8Array;
  verification: Extract<VerificationResult, { ok: true }>;
}

export function signatureRefusal(rule: string, params?: Record<string, string | number>): AppError {
  return new AppError('VALIDATION_FAILED', `the signature is refused (${rule})`, { fields: [{ field: 'signature', rule, ...(params ? { params } : {}) }] });
}

export function passportSha256(passport: unknown): string {
  return createHash('sha256').update(canonicalize(passport) ?? 'null', 'utf8').digest('hex');
}

/** The manifest of a submission of this object as the snapshot freezes it. */
export function submissionManifestFor(objectId: string, snapshot: SubmissionSnapshot, submissionId: string, submittedAt: string): CanonicalManifest {
  return canonicalManifest({
    kind: 'submission',
    objectId,
    submissionId,
    organizationBin: snapshot.organization.bin,
    submittedAt,
    objectVersion: snapshot.version,
    passportSha256: passportSha256(snapshot.passport),
    documents: snapshot.documents.flatMap((document) => (['pdf', 'docx'] as const).map((format) => ({
      slot: `${document.kind}.${format}`,
      fileName: document[format].name,
      sha256: document[format].sha256,
      bytes: document[format].sizeBytes,
    }))),
  });
}

/** A fresh manifest to sign: a new submission id (the case's id to be) and the time now. */
export function newSubmissionManifest(objectId: string, snapshot: SubmissionSnapshot, now: Date): CanonicalManifest {
  return submissionManifestFor(objectId, snapshot, randomUUID(), now.toISOString());
}

/**
 * Verifies the CMS over the manifest it came with (before any lock: OCSP and CRLs are network
 * calls). What it cannot know yet — that the manifest is the object's as it stands — is
 * checkSignedSnapshot's, inside the transaction.
 */
export async function verifySubmissionSignature(checker: SignatureChecker, objectId: string, input: SignedSubmissionInput, now: Date): Promise<VerifiedSubmission> {
  const signature = input.signature?.trim();
  if (!signature) throw signatureRefusal('signature_required');
  const content = input.manifest ? new Uint8Array(Buffer.from(input.manifest, 'utf8')) : undefined;
  const verification = await checker.verify({ cms: signature, content, purpose: 'sign' });
  if (!verification.ok) throw signatureRefusal(`signature_${verification.code}`, { reason: verification.reason });
  let manifest: SubmissionManifest;
  try {
    manifest = submissionManifestSchema.parse(JSON.parse(Buffer.from(verification.content).toString('utf8')));
  } catch {
    throw signatureRefusal('signature_manifest_invalid');
  }
  if (manifest.objectId !== objectId) throw signatureRefusal('signature_manifest_invalid');
  const at = Date.parse(manifest.submittedAt);
  if (at < now.getTime() - MANIFEST_TTL_MS || at > now.getTime() + CLOCK_SKEW_MS) throw signatureRefusal('signature_manifest_stale');
  return { manifest, bytes: verification.content, cms: derBlocks(signature)[0]!, verification };
}

/**
 * Under the object's lock: the signed manifest is the one the snapshot gives now, and the signer
 * is the submitting person of the owner organization. Returns the signature to store.
 */
export function checkSignedSnapshot(
  signed: VerifiedSubmission,
  objectId: string,
  snapshot: SubmissionSnapshot,
  submitter: { id: string; iin: string | null },
  now: Date,
): Omit<CaseSignature, 'manifestSha256'> & { manifest: Uint8Array; cms: Uint8Array } {
  const expected = submissionManifestFor(objectId, snapshot, signed.manifest.submissionId, signed.manifest.submittedAt);
  if (!Buffer.from(expected.bytes).equals(Buffer.from(signed.bytes))) throw signatureRefusal('signature_manifest_stale');
  const signer = signed.verification.signer;
  if (signer.bin !== snapshot.organization.bin) throw signatureRefusal('signature_other_organization', { bin: signer.bin ?? '—' });
  if (submitter.iin && signer.iin !== submitter.iin) throw signatureRefusal('signature_other_person');
  return signatureRecord('submission', signed.verification, submitter.id, signed.bytes, signed.cms, now);
}

export function signerName(signer: Signer): string | null {
  return signer.commonName ?? ([signer.surname, signer.givenName].filter(Boolean).join(' ') || null);
}

function signatureRecord(purpose: CaseSignature['purpose'], verification: Extract<VerificationResult, { ok: true }>, signedById: string, manifest: Uint8Array, cms: Uint8Array, now: Date) {
  const { signer, revocation } = verification;
  return {
    purpose,
    signedById,
    signerName: signerName(signer),
    signerIin: signer.iin,
    signerOrganization: signer.organization,
    signerBin: signer.bin,
    signingTime: verification.signingTime,
    certificateSerial: signer.certificate.serialNumber,
    certificateIssuer: signer.certificate.issuer,
    certificateSubject: signer.certificate.subject,
    // verifyCms lets only a good answer through, or none when the settings allow it.
    revocationStatus: revocation.status === 'good' ? ('good' as const) : ('unavailable' as const),
    revocationSource: revocation.source,
    verifiedAt: now,
    manifest,
    cms,
  };
}
