/**
 * OCSP client (RFC 6960): the request is built with pkijs (SHA-1 CertID, as every responder
 * accepts, and a nonce), POSTed over HTTP with fetch, and the answer is believed only when its
 * signature verifies with the issuing CA's key or with a responder certificate that CA issued for
 * OCSP signing (pkijs's BasicOCSPResponse.verify checks both), the nonce comes back unchanged and
 * the answer is current.
 */
import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID } from './certificates.ts';

export type OcspOutcome =
  | { status: 'good' | 'unknown'; url: string; thisUpdate: Date; nextUpdate: Date | null }
  | { status: 'revoked'; url: string; thisUpdate: Date; nextUpdate: Date | null; revokedAt: Date | null }
  | { status: 'unavailable'; url: string; reason: string };

/** Answers dated this far in the future (clock skew) are still taken. */
const SKEW_MS = 5 * 60_000;

export async function queryOcsp(options: {
  certificate: pkijs.Certificate;
  issuer: pkijs.Certificate;
  url: string;
  timeoutMs: number;
  now?: Date;
}): Promise<OcspOutcome> {
  const { certificate, issuer, url } = options;
  const now = options.now ?? new Date();
  const unavailable = (reason: string): OcspOutcome => ({ status: 'unavailable', url, reason });
  const nonce = new Uint8Array(randomBytes(16));
  const request = new pkijs.OCSPRequest();
  await request.createForCertificate(certificate, { hashAlgorithm: 'SHA-1', issuerCertificate: issuer });
  request.tbsRequest.requestExtensions = [
    new pkijs.Extension({ extnID: OID.ocspNonce, extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(false) }),
  ];
  let body: Uint8Array<ArrayBuffer>;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
      body: new Uint8Array(request.toSchema(true).toBER(false)),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!response.ok) return unavailable(`HTTP ${response.status}`);
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    return unavailable(`request failed: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`);
  }

  let basic: pkijs.BasicOCSPResponse;
  try {
    const response = pkijs.OCSPResponse.fromBER(body);
    const status = response.responseStatus.valueBlock.valueDec;
    if (status !== 0) return unavailable(`responder status ${status}`);
    if (!response.responseBytes || response.responseBytes.responseType !== OID.ocspBasic) return unavailable('not a basic OCSP response');
    basic = pkijs.BasicOCSPResponse.fromBER(response.responseBytes.response.valueBlock.valueHexView.slice());
  } catch (error) {
    return unavailable(`unreadable response: ${error instanceof Error ? error.message : String(error)}`);
  }

  try {
    const signed = basic.certs && basic.certs.length > 0
      ? await basic.verify({ trustedCerts: [issuer], issuerCerts: [issuer] })
      : await pkijs.getCrypto(true).verifyWithPublicKey(basic.tbsResponseData.tbsView.slice(), basic.signature, issuer.subjectPublicKeyInfo, basic.signatureAlgorithm);
    if (!signed) return unavailable('response signature does not verify');
  } catch (error) {
    return unavailable(`response signer not trusted: ${error instanceof Error ? error.message : String(error)}`);
  }

  const echoed = basic.tbsResponseData.responseExtensions?.find((extension) => extension.extnID === OID.ocspNonce);
  if (echoed) {
    const value = asn1js.fromBER(echoed.extnValue.valueBlock.valueHexView.slice()).result;
    const bytes = value instanceof asn1js.OctetString ? value.valueBlock.valueHexView : echoed.extnValue.valueBlock.valueHexView;
    if (!Buffer.from(bytes).equals(Buffer.from(nonce))) return unavailable('nonce mismatch (replayed response?)');
  }

  const status = await basic.getCertificateStatus(certificate, issuer);
  if (!status.isForCertificate) return unavailable('response is about another certificate');
  const single = basic.tbsResponseData.responses[0]!;
  const thisUpdate = single.thisUpdate;
  const nextUpdate = single.nextUpdate ?? null;
  if (thisUpdate.getTime() > now.getTime() + SKEW_MS) return unavailable('response dated in the future');
  if (nextUpdate && nextUpdate.getTime() < now.getTime() - SKEW_MS) return unavailable('response is stale (nextUpdate passed)');
  if (!echoed && now.getTime() - thisUpdate.getTime() > 24 * 3600_000) return unavailable('response without nonce older than a day');
  if (status.status === 0) return { status: 'good', url, thisUpdate, nextUpdate };
  if (status.status === 1) {
    const revokedInfo = single.certStatus as asn1js.Constructed;
    const time = revokedInfo.valueBlock.value[0];
    return { status: 'revoked', url, thisUpdate, nextUpdate, revokedAt: time instanceof asn1js.GeneralizedTime ? time.toDate() : null };
  }
  return { status: 'unknown', url, thisUpdate, nextUpdate };
}
