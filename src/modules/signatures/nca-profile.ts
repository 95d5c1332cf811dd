/**
 * The National Certification Authority's certificate profile (НУЦ РК).
 *
 * Subject: SERIALNUMBER "IIN" + 12 digits (every certificate), OU "BIN" + 12 digits and O (a legal
 * entity's employee), CN "SURNAME NAME", SURNAME, G (patronymic).
 *
 * Certificate policies of the NCA (Регламент НУЦ РК 1.2.398.3.3.1.1 and the policies of use):
 *   1.2.398.3.3.2.1  SIGN, legal entities      1.2.398.3.3.2.2  AUTH, legal entities
 *   1.2.398.3.3.2.3  SIGN, individuals         1.2.398.3.3.2.4  AUTH, individuals
 * (listed in ussgroup "trusty", ru/ussgroup/security/trusty/TrustyUtils.java, found with the
 * search tool's code corpus). Extended key usages, besides clientAuth (AUTH) and emailProtection
 * (SIGN): 1.2.398.3.3.4.1.1 individual, 1.2.398.3.3.4.1.2 legal entity and its roles .1 first
 * head, .2 right of signature, .3 financial signature, .4 HR, .5 employee (order No. 383/НҚ of
 * 13.10.2020, https://adilet.zan.kz/rus/docs/V2000021440, as cited by Kalkan client libraries; and
 * the signer filters of ncalayer-js-client 1.5.6, `basicsSignerAuthPerson` etc., which select NCA
 * keys by exactly these OIDs).
 */
import type * as pkijs from 'pkijs';
import { extendedKeyUsage, keyUsage, nameAttributes, OID, policies, summarize } from './certificates.ts';
import type { SignaturePurpose, Signer } from './signatures.schemas.ts';

export const NCA_POLICY = {
  legalSign: '1.2.398.3.3.2.1',
  legalAuth: '1.2.398.3.3.2.2',
  individualSign: '1.2.398.3.3.2.3',
  individualAuth: '1.2.398.3.3.2.4',
} as const;
const SIGN_POLICIES = new Set<string>([NCA_POLICY.legalSign, NCA_POLICY.individualSign]);
const AUTH_POLICIES = new Set<string>([NCA_POLICY.legalAuth, NCA_POLICY.individualAuth]);

export const NCA_SUBJECT = {
  individual: '1.2.398.3.3.4.1.1',
  legalEntity: '1.2.398.3.3.4.1.2',
} as const;
const NCA_ROLES: Record<string, string> = {
  '1.2.398.3.3.4.1.2.1': 'ceo',
  '1.2.398.3.3.4.1.2.2': 'can_sign',
  '1.2.398.3.3.4.1.2.3': 'can_sign_financial',
  '1.2.398.3.3.4.1.2.4': 'hr',
  '1.2.398.3.3.4.1.2.5': 'employee',
};

/** The signer as the NCA profile describes them, read from the certificate. */
export function ncaSigner(certificate: pkijs.Certificate): Signer {
  const subject = nameAttributes(certificate.subject);
  const first = (label: string) => subject.find((attribute) => attribute.label === label)?.value ?? null;
  const iin = subject.map((a) => (a.label === 'SERIALNUMBER' ? /^IIN(\d{12})$/.exec(a.value)?.[1] : undefined)).find(Boolean) ?? null;
  const bin = subject.map((a) => (a.label === 'OU' ? /^BIN(\d{12})$/.exec(a.value)?.[1] : undefined)).find(Boolean) ?? null;
  const eku = extendedKeyUsage(certificate) ?? [];
  const certificatePolicies = policies(certificate);
  const signPolicy = certificatePolicies.some((policy) => SIGN_POLICIES.has(policy));
  const authPolicy = certificatePolicies.some((policy) => AUTH_POLICIES.has(policy));
  return {
    commonName: first('CN'),
    surname: first('SURNAME'),
    givenName: first('G'),
    iin,
    bin,
    organization: first('O'),
    kind: bin !== null || eku.includes(NCA_SUBJECT.legalEntity) ? 'legal_entity' : 'individual',
    roles: eku.flatMap((oid) => (NCA_ROLES[oid] ? [NCA_ROLES[oid]] : [])),
    keyPurpose: signPolicy && !authPolicy ? 'sign' : authPolicy && !signPolicy ? 'auth' : null,
    policies: certificatePolicies,
    keyUsage: keyUsage(certificate) ?? [],
    extendedKeyUsage: eku,
    certificate: summarize(certificate),
  };
}

/**
 * Why the certificate's key may not serve `purpose`, or null when it may. AUTH keys sign in
 * (digitalSignature, clientAuth, an AUTH policy); SIGN keys sign documents (nonRepudiation,
 * emailProtection, a SIGN policy). Extended key usage and NCA policies are checked when present.
 */
export function keyUsageRefusal(certificate: pkijs.Certificate, purpose: SignaturePurpose): string | null {
  const usage = keyUsage(certificate);
  const eku = extendedKeyUsage(certificate);
  const ncaPolicies = policies(certificate).filter((policy) => SIGN_POLICIES.has(policy) || AUTH_POLICIES.has(policy));
  if (purpose === 'auth') {
    if (usage && !usage.includes('digitalSignature')) return 'key usage lacks digitalSignature (an AUTH key is needed for sign-in)';
    if (eku && !eku.includes(OID.clientAuth)) return 'extended key usage lacks clientAuth (an AUTH key is needed for sign-in)';
    if (ncaPolicies.length > 0 && !ncaPolicies.some((policy) => AUTH_POLICIES.has(policy))) return 'the certificate is issued under an NCA SIGN policy, not AUTH';
    if (!usage) return 'the certificate has no key usage extension';
    return null;
  }
  if (usage && !usage.includes('nonRepudiation')) return 'key usage lacks nonRepudiation (a SIGN key is needed for a signed document)';
  if (eku && !eku.includes(OID.emailProtection)) return 'extended key usage lacks emailProtection (a SIGN key is needed for a signed document)';
  if (ncaPolicies.length > 0 && !ncaPolicies.some((policy) => SIGN_POLICIES.has(policy))) return 'the certificate is issued under an NCA AUTH policy, not SIGN';
  if (!usage) return 'the certificate has no key usage extension';
  return null;
}
