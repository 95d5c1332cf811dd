/**
 * Makes a certification authority shaped like the National Certification Authority's (НУЦ РК)
 * with the openssl command line: a root and an issuing CA, and AUTH and SIGN certificates of an
 * individual or of a legal entity's employee with the NCA's subject attributes (SERIALNUMBER=IIN…,
 * OU=BIN…), extended key usages and policy identifiers (see nca-profile.ts for their sources),
 * each key also a PKCS#12 file. The test PKI (tests/support/test-pki.ts) and the demo CA of a
 * development portal (src/modules/demo/demo-pki.ts) are both made with it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

const EKU_INDIVIDUAL = '1.2.398.3.3.4.1.1';
const EKU_ORGANIZATION = '1.2.398.3.3.4.1.2';
const EKU_EMPLOYEE = '1.2.398.3.3.4.1.2.5';
const POLICY_LEGAL_SIGN = '1.2.398.3.3.2.1';
const POLICY_LEGAL_AUTH = '1.2.398.3.3.2.2';
const POLICY_INDIVIDUAL_SIGN = '1.2.398.3.3.2.3';
const POLICY_INDIVIDUAL_AUTH = '1.2.398.3.3.2.4';

export type CertificateProfile = 'auth_individual' | 'sign_individual' | 'auth_employee' | 'sign_employee';

/** Where leaf certificates say their revocation answers are (AIA, CDP); none for a CA without them. */
export interface RevocationUrls {
  crl: string;
  ocsp: string;
  caIssuers: string;
}

function opensslConfig(dir: string, urls: RevocationUrls | null): string {
  const revocation = urls
    ? `authorityInfoAccess = OCSP;URI:${urls.ocsp},caIssuers;URI:${urls.caIssuers}
crlDistributionPoints = URI:${urls.crl}`
    : '';
  const leaf = `basicConstraints = critical,CA:false
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
${revocation}`;
  return `
[ ca ]
default_ca = nca

[ nca ]
dir = ${dir}/ca-db
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = ${dir}/ca.pem
private_key = ${dir}/ca.key
default_md = sha256
default_days = 365
default_crl_days = 1
policy = policy_any
unique_subject = no
copy_extensions = none
utf8 = yes
string_mask = utf8only

[ policy_any ]
countryName = optional
commonName = supplied
surname = optional
givenName = optional
serialNumber = optional
organizationName = optional
organizationalUnitName = optional
emailAddress = optional

[ req ]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
prompt = no
[ dn ]
CN = unused

[ v3_root ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[ v3_ca ]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ ocsp_responder ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ auth_individual ]
${leaf}
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth,${EKU_INDIVIDUAL}
certificatePolicies = ${POLICY_INDIVIDUAL_AUTH}

[ sign_individual ]
${leaf}
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection,${EKU_INDIVIDUAL}
certificatePolicies = ${POLICY_INDIVIDUAL_SIGN}

[ auth_employee ]
${leaf}
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth,${EKU_ORGANIZATION},${EKU_EMPLOYEE}
certificatePolicies = ${POLICY_LEGAL_AUTH}

[ sign_employee ]
${leaf}
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection,${EKU_ORGANIZATION},${EKU_EMPLOYEE}
certificatePolicies = ${POLICY_LEGAL_SIGN}
`;
}

/** The people a certificate names, as the NCA writes them (upper case in its certificates). */
export interface SubjectFields {
  /** "SURNAME GIVEN-NAME" unless given. */
  commonName?: string;
  surname: string;
  givenName: string;
  iin: string;
  email: string;
  /** An employee's organization: its name (O) and BIN (OU=BIN…). */
  organization?: { name: string; bin: string };
}

/** An openssl -subj string; "/" and "\" inside a value are escaped as openssl reads them. */
export function ncaSubject(fields: SubjectFields): string {
  const value = (text: string) => text.replace(/[\\/]/g, (c) => `\\${c}`);
  const base = `/C=KZ/CN=${value(fields.commonName ?? `${fields.surname} ${fields.givenName}`)}/SN=${value(fields.surname)}/GN=${value(fields.givenName)}/serialNumber=IIN${fields.iin}`;
  const organization = fields.organization ? `/O=${value(fields.organization.name)}/OU=BIN${fields.organization.bin}` : '';
  return `${base}${organization}/emailAddress=${value(fields.email)}`;
}

export interface IssuedKey {
  label: string;
  certPath: string;
  keyPath: string;
  p12Path: string;
  certPem: string;
  /** The issuing CA's certificate(s) (PEM) put into the PKCS#12 and a CMS's certificate set. */
  chainPath: string;
  serialHex: string;
}

export interface IssueOptions {
  profile: CertificateProfile;
  subject: string;
  password: string;
  notBefore?: Date;
  notAfter?: Date;
  /** Issue with another CA made in this folder (its .pem and .key), with a fixed serial; its chain file. */
  issuer?: { name: string; chainPath: string; serial: string };
  ec?: boolean;
}

export interface PkiWorkspace {
  dir: string;
  run(args: string[]): Promise<string>;
  /** A root CA: `<name>.pem`, `<name>.key`. */
  selfSigned(name: string, subject: string): Promise<void>;
  /** A CA under `issuer`. */
  subordinate(name: string, subject: string, issuer: string, serial: string): Promise<void>;
  /** A leaf certificate from the CA `ca` (or `options.issuer`), with its PKCS#12 file. */
  issue(label: string, options: IssueOptions): Promise<IssuedKey>;
}

function stamp(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/** A folder ready for openssl ca (its database and config); the issuing CA must be named `ca`. */
export function preparePkiWorkspace(dir: string, urls: RevocationUrls | null): PkiWorkspace {
  mkdirSync(path.join(dir, 'ca-db', 'new'), { recursive: true });
  writeFileSync(path.join(dir, 'ca-db', 'index.txt'), '');
  writeFileSync(path.join(dir, 'ca-db', 'serial'), '1000A0\n');
  writeFileSync(path.join(dir, 'ca-db', 'crlnumber'), '01\n');
  const config = path.join(dir, 'openssl.cnf');
  writeFileSync(config, opensslConfig(dir, urls));
  const run = async (args: string[]) => (await execa('openssl', args, { cwd: dir })).stdout;

  return {
    dir,
    run,
    async selfSigned(name, subject) {
      await run(['req', '-config', config, '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
        '-days', '3650', '-subj', subject, '-utf8', '-extensions', 'v3_root', '-sha256']);
    },
    async subordinate(name, subject, issuer, serial) {
      await run(['req', '-config', config, '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject, '-utf8']);
      await run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-set_serial', serial,
        '-days', '1825', '-sha256', '-extfile', config, '-extensions', 'v3_ca', '-out', `${name}.pem`]);
    },
    async issue(label, options) {
      const notBefore = options.notBefore ?? new Date(Date.now() - 24 * 3600_000);
      const notAfter = options.notAfter ?? new Date(Date.now() + 365 * 24 * 3600_000);
      const newKey = options.ec ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
      await run(['req', '-config', config, '-new', ...newKey, '-nodes', '-keyout', `${label}.key`, '-out', `${label}.csr`, '-subj', options.subject, '-utf8']);
      if (options.issuer) {
        await run(['x509', '-req', '-in', `${label}.csr`, '-CA', `${options.issuer.name}.pem`, '-CAkey', `${options.issuer.name}.key`, '-set_serial', options.issuer.serial,
          '-days', '365', '-sha256', '-extfile', config, '-extensions', options.profile, '-out', `${label}.pem`]);
      } else {
        await run(['ca', '-config', config, '-batch', '-notext', '-preserveDN', '-utf8', '-extensions', options.profile, '-in', `${label}.csr`,
          '-out', `${label}.pem`, '-startdate', stamp(notBefore), '-enddate', stamp(notAfter)]);
      }
      const chainPath = options.issuer?.chainPath ?? path.join(dir, 'chain.pem');
      await run(['pkcs12', '-export', '-in', `${label}.pem`, '-inkey', `${label}.key`, '-certfile', chainPath, '-name', label,
        '-out', `${label}.p12`, '-passout', `pass:${options.password}`]);
      const serial = (await run(['x509', '-in', `${label}.pem`, '-noout', '-serial'])).trim().replace(/^serial=/, '');
      return {
        label,
        certPath: path.join(dir, `${label}.pem`),
        keyPath: path.join(dir, `${label}.key`),
        p12Path: path.join(dir, `${label}.p12`),
        certPem: readFileSync(path.join(dir, `${label}.pem`), 'utf8'),
        chainPath,
        serialHex: serial.toLowerCase(),
      };
    },
  };
}
