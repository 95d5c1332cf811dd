/**
 * Verification of a CMS SignedData (PKCS#7, CAdES-BES as NCALayer makes it) over exactly the
 * expected content, attached or detached, in this order — the first failing step decides the one
 * refusal code:
 *   1. structure (malformed): a SignedData with one signer and the signer's certificate inside;
 *   2. algorithms (unsupported_algorithm): see algorithms.ts;
 *   3. content (content_mismatch): attached content must equal the expected bytes; the signed
 *      messageDigest must match them;
 *   4. signature (bad_signature): over the signed attributes, with the certificate's key (pkijs);
 *   5. path (unknown_ca): to an anchor of the trust store (chain.ts);
 *   6. validity (expired, not_yet_valid): of every certificate on the path at the signing time
 *      (the signingTime attribute, else `at`), and for sign-in also at `at` (now by default);
 *   7. key usage and NCA profile (wrong_key_usage): AUTH for 'auth', SIGN for 'sign';
 *   8. revocation of the signer's certificate (revoked, revocation_unavailable): revocation.ts.
 * The signingTime attribute is what the signer's computer claimed; no timestamp token is read yet.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { digestAlgorithm, publicKeyAlgorithm, signatureAlgorithm } from './algorithms.ts';
import { derBlocks, nameText, OID } from './certificates.ts';
import { buildPath } from './chain.ts';
import { keyUsageRefusal, ncaSigner } from './nca-profile.ts';
import { checkRevocation, type RevocationSettings } from './revocation.ts';
import type { AlgorithmSummary, RefusalCode, RevocationResult, SignaturePurpose, Signer, VerificationResult } from './signatures.schemas.ts';
import type { TrustStore } from './trust-store.ts';

export interface VerifyCmsOptions {
  /** DER bytes, or a string: base64 (as NCALayer returns it) or PEM. */
  cms: Uint8Array | string;
  /** The content that must have been signed; required for a detached CMS. */
  content?: Uint8Array | undefined;
  purpose: SignaturePurpose;
  /** The time of checking; now by default. */
  at?: Date | undefined;
  trust: TrustStore;
  /** 'skip' only for offline checks (the CLI without --online); the result then says not_checked. */
  revocation: RevocationSettings | 'skip';
}

/** A signing time later than the time of checking by more than this is refused. */
const CLOCK_SKEW_MS = 5 * 60_000;

export async function verifyCms(options: VerifyCmsOptions): Promise<VerificationResult> {
  const at = options.at ?? new Date();
  let signer: Signer | null = null;
  let signingTime: Date | null = null;
  let algorithm: AlgorithmSummary | null = null;
  let attached: boolean | null = null;
  let revocation: RevocationResult | null = null;
  const refuse = (code: RefusalCode, reason: string): VerificationResult => ({ ok: false, code, reason, signer, signingTime, revocation, algorithm, attached });

  let signedData: pkijs.SignedData;
  try {
    const der = derBlocks(options.cms)[0];
    if (!der || der.byteLength === 0) return refuse('malformed', 'empty signature');
    const contentInfo = pkijs.ContentInfo.fromBER(der);
    if (contentInfo.contentType !== OID.signedData) return refuse('malformed', `not a SignedData (content type ${contentInfo.contentType})`);
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
  } catch (error) {
    return refuse('malformed', `not a CMS signature: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (signedData.signerInfos.length !== 1) return refuse('malformed', `${signedData.signerInfos.length} signers; exactly one is verified`);
  const signerInfo = signedData.signerInfos[0]!;
  const carried = (signedData.certificates ?? []).filter((certificate): certificate is pkijs.Certificate => certificate instanceof pkijs.Certificate);
  const certificate = await findSignerCertificate(signerInfo, carried);
  if (!certificate) return refuse('malformed', "the signer's certificate is not in the signature");
  signer = ncaSigner(certificate);
  signingTime = readSigningTime(signerInfo);

  const signatureCheck = signatureAlgorithm(signerInfo.signatureAlgorithm.algorithmId);
  if (!signatureCheck.ok) return refuse('unsupported_algorithm', signatureCheck.reason);
  const digestCheck = digestAlgorithm(signerInfo.digestAlgorithm.algorithmId);
  if (!digestCheck.ok) return refuse('unsupported_algorithm', digestCheck.reason);
  const keyCheck = publicKeyAlgorithm(certificate.subjectPublicKeyInfo.algorithm.algorithmId);
  if (!keyCheck.ok) return refuse('unsupported_algorithm', `signer's key: ${keyCheck.reason}`);
  algorithm = { signature: signatureCheck.name, digest: digestCheck.name };

  const eContent = signedData.encapContentInfo.eContent;
  attached = eContent !== undefined && eContent !== null;
  let content: Uint8Array<ArrayBuffer>;
  if (eContent) {
    content = new Uint8Array(eContent.getValue());
    if (options.content && !Buffer.from(options.content).equals(Buffer.from(content))) {
      return refuse('content_mismatch', 'the attached content differs from the expected content');
    }
  } else {
    if (!options.content) return refuse('malformed', 'a detached signature needs the signed content');
    content = new Uint8Array(options.content);
  }
  if (!signerInfo.signedAttrs) return refuse('malformed', 'no signed attributes (CAdES needs them)');

  try {
    const verified = await signedData.verify({ signer: 0, data: content.buffer, extendedMode: true, checkChain: false });
    if (!verified.signatureVerified) return refuse('bad_signature', 'the signature does not verify with the certificate key');
  } catch (error) {
    if (error instanceof pkijs.SignedDataVerifyError && /Message digest doesn't match/.test(error.message)) {
      return refuse('content_mismatch', 'the signed message digest does not match the content');
    }
    return refuse('bad_signature', error instanceof Error ? error.message : String(error));
  }

  const path = await buildPath(certificate, carried, options.trust.anchors);
  if (!path.ok) return refuse(path.code, path.reason);

  if (signingTime && signingTime.getTime() > at.getTime() + CLOCK_SKEW_MS) {
    return refuse('not_yet_valid', `signing time ${signingTime.toISOString()} is later than the time of checking`);
  }
  const moments = options.purpose === 'auth' ? [signingTime ?? at, at] : [signingTime ?? at];
  for (const moment of moments) {
    for (const link of path.path) {
      const who = link === certificate ? "the signer's certificate" : `CA certificate ${nameText(link.subject)}`;
      if (moment < link.notBefore.value) return refuse('not_yet_valid', `${who} is valid from ${link.notBefore.value.toISOString()} (checked at ${moment.toISOString()})`);
      if (moment > link.notAfter.value) return refuse('expired', `${who} expired at ${link.notAfter.value.toISOString()} (checked at ${moment.toISOString()})`);
    }
  }

  const usageRefusal = keyUsageRefusal(certificate, options.purpose);
  if (usageRefusal) return refuse('wrong_key_usage', usageRefusal);

  if (options.revocation === 'skip') {
    revocation = { status: 'not_checked', source: null, revokedAt: null, allowedUnavailable: false, attempts: [] };
  } else {
    const issuer = path.path[1] ?? certificate;
    // Revocation answers are about the present, whatever time the signature is checked at.
    revocation = await checkRevocation(certificate, issuer, options.revocation, new Date());
    if (revocation.status === 'revoked') {
      return refuse('revoked', `revoked${revocation.revokedAt ? ` at ${revocation.revokedAt.toISOString()}` : ''} (${revocation.source})`);
    }
    if (revocation.status === 'unavailable' && !revocation.allowedUnavailable) {
      return refuse('revocation_unavailable', revocation.attempts.map((attempt) => `${attempt.source} ${attempt.url}: ${attempt.reason ?? attempt.outcome}`).join('; '));
    }
  }
  return { ok: true, signer, signingTime, revocation, algorithm, attached, content };
}

async function findSignerCertificate(signerInfo: pkijs.SignerInfo, certificates: pkijs.Certificate[]): Promise<pkijs.Certificate | null> {
  const sid = signerInfo.sid;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return certificates.find((certificate) => certificate.issuer.isEqual(sid.issuer) && certificate.serialNumber.isEqual(sid.serialNumber)) ?? null;
  }
  // SubjectKeyIdentifier ([0] IMPLICIT OCTET STRING): the SHA-1 of the subject public key (RFC 5280 §4.2.1.2 method 1).
  const block = sid as asn1js.Primitive | asn1js.Constructed;
  const keyId = block instanceof asn1js.Constructed
    ? (block.valueBlock.value[0] as asn1js.OctetString).valueBlock.valueHexView
    : (block as asn1js.Primitive).valueBlock.valueHexView;
  return certificates.find((certificate) => createHash('sha1')
    .update(certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
    .digest()
    .equals(Buffer.from(keyId))) ?? null;
}

function readSigningTime(signerInfo: pkijs.SignerInfo): Date | null {
  const attribute = signerInfo.signedAttrs?.attributes.find((candidate) => candidate.type === OID.signingTime);
  const value = attribute?.values[0];
  return value instanceof asn1js.UTCTime ? value.toDate() : null;
}
