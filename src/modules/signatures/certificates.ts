/**
 * Reading certificates with pkijs: PEM/DER decoding, names, extensions. No ASN.1 is written by
 * hand here; every structure comes from pkijs's own parsers.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { CertificateSummary, KeyUsageName } from './signatures.schemas.ts';

export const OID = {
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  certificatePolicies: '2.5.29.32',
  basicConstraints: '2.5.29.19',
  crlDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ocspMethod: '1.3.6.1.5.5.7.48.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

const NAME_LABELS: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SURNAME', '2.5.4.42': 'G', '2.5.4.5': 'SERIALNUMBER', '2.5.4.6': 'C',
  '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '1.2.840.113549.1.9.1': 'E',
};

/**
 * The DER blocks of a file or string: every PEM block when it is PEM; DER as it is (it starts
 * with a SEQUENCE tag, 0x30); else the text is base64 (as NCALayer returns signatures).
 */
export function derBlocks(input: Uint8Array | string): Uint8Array<ArrayBuffer>[] {
  if (typeof input !== 'string' && input[0] === 0x30) return [new Uint8Array(input)];
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const pem = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
  if (pem.length > 0) return pem.map((match) => new Uint8Array(Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64')));
  return [new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64'))];
}

export function parseCertificate(der: Uint8Array<ArrayBuffer>): pkijs.Certificate {
  return pkijs.Certificate.fromBER(der);
}

/** Encoded once per certificate object: path building compares anchors on every verification. */
const encoded = new WeakMap<pkijs.Certificate, Buffer>();

export function certificateDer(certificate: pkijs.Certificate): Buffer {
  let der = encoded.get(certificate);
  if (!der) {
    der = Buffer.from(certificate.toSchema(true).toBER(false));
    encoded.set(certificate, der);
  }
  return der;
}

export function sameCertificate(a: pkijs.Certificate, b: pkijs.Certificate): boolean {
  return a === b || certificateDer(a).equals(certificateDer(b));
}

function attributeText(value: unknown): string {
  if (value && typeof value === 'object' && 'valueBlock' in value) {
    const block = (value as { valueBlock: { value?: unknown } }).valueBlock;
    if (typeof block.value === 'string') return block.value;
  }
  return String(value);
}

export function nameAttributes(name: pkijs.RelativeDistinguishedNames): Array<{ type: string; label: string; value: string }> {
  return name.typesAndValues.map((attribute) => ({
    type: attribute.type,
    label: NAME_LABELS[attribute.type] ?? attribute.type,
    value: attributeText(attribute.value),
  }));
}

export function nameText(name: pkijs.RelativeDistinguishedNames): string {
  return nameAttributes(name).map(({ label, value }) => `${label}=${value}`).join(', ');
}

export function serialHex(certificate: pkijs.Certificate): string {
  return Buffer.from(certificate.serialNumber.valueBlock.valueHexView).toString('hex');
}

export function summarize(certificate: pkijs.Certificate): CertificateSummary {
  return {
    serialNumber: serialHex(certificate),
    subject: nameText(certificate.subject),
    issuer: nameText(certificate.issuer),
    notBefore: certificate.notBefore.value,
    notAfter: certificate.notAfter.value,
  };
}

function extension(certificate: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return certificate.extensions?.find((candidate) => candidate.extnID === oid);
}

const KEY_USAGE_BITS: KeyUsageName[] = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment',
  'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
];

/** The key usage bits set, or null when the certificate has no key usage extension. */
export function keyUsage(certificate: pkijs.Certificate): KeyUsageName[] | null {
  const found = extension(certificate, OID.keyUsage);
  if (!found) return null;
  const bits = (found.parsedValue as asn1js.BitString).valueBlock.valueHexView;
  return KEY_USAGE_BITS.filter((_, index) => ((bits[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0);
}

/** The extended key usage purposes, or null when the certificate has none. */
export function extendedKeyUsage(certificate: pkijs.Certificate): string[] | null {
  const found = extension(certificate, OID.extKeyUsage);
  return found ? (found.parsedValue as pkijs.ExtKeyUsage).keyPurposes : null;
}

export function policies(certificate: pkijs.Certificate): string[] {
  const found = extension(certificate, OID.certificatePolicies);
  return found ? (found.parsedValue as pkijs.CertificatePolicies).certificatePolicies.map((policy) => policy.policyIdentifier) : [];
}

export function isCa(certificate: pkijs.Certificate): boolean {
  const constraints = extension(certificate, OID.basicConstraints);
  if (!constraints || !(constraints.parsedValue as pkijs.BasicConstraints).cA) return false;
  const usage = keyUsage(certificate);
  return usage === null || usage.includes('keyCertSign');
}

function uris(names: pkijs.GeneralName[]): string[] {
  return names.filter((name) => name.type === 6 && typeof name.value === 'string').map((name) => name.value as string);
}

/** OCSP responder URLs from the Authority Information Access extension. */
export function ocspUrls(certificate: pkijs.Certificate): string[] {
  const found = extension(certificate, OID.authorityInfoAccess);
  if (!found) return [];
  const access = found.parsedValue as pkijs.InfoAccess;
  return uris(access.accessDescriptions.filter((entry) => entry.accessMethod === OID.ocspMethod).map((entry) => entry.accessLocation));
}

/** CRL URLs from the CRL Distribution Points extension. */
export function crlUrls(certificate: pkijs.Certificate): string[] {
  const found = extension(certificate, OID.crlDistributionPoints);
  if (!found) return [];
  const points = (found.parsedValue as pkijs.CRLDistributionPoints).distributionPoints;
  return points.flatMap((point) => (Array.isArray(point.distributionPoint) ? uris(point.distributionPoint) : []));
}
