/**
 * A PKI shaped like the National Certification Authority's (НУЦ РК), built at run time with the
 * openssl command line: a root ("КОРНЕВОЙ УДОСТОВЕРЯЮЩИЙ ЦЕНТР") and an issuing CA ("ҰЛТТЫҚ
 * КУӘЛАНДЫРУШЫ ОРТАЛЫҚ"), AUTH and SIGN certificates of an individual and of a legal entity's
 * employee with the NCA's subject attributes (SERIALNUMBER=IIN…, OU=BIN…), extended key usages
 * and policy identifiers, an expired, a not-yet-valid and a revoked certificate, and a look-alike
 * root and CA with the same names but keys of their own. Every key is also a PKCS#12 file.
 *
 * Revocation is served for real: the issuing CA's CRL by a small HTTP server and an
 * `openssl ocsp` responder as a child process, both on 127.0.0.1, both named in every leaf
 * certificate (CDP, AIA). `close()` stops them and removes the files.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';

export const TEST_PKI_PASSWORD = 'Qwerty12';

export interface TestKey {
  label: string;
  certPath: string;
  keyPath: string;
  p12Path: string;
  certPem: string;
  /** The issuing CA's certificate (PEM), for the CMS's certificate set. */
  chainPath: string;
  iin: string;
  bin: string | null;
  serialHex: string;
}

export interface TestPki {
  dir: string;
  /** PKI_TRUST_DIR: the root as PEM and the issuing CA as DER. */
  trustDir: string;
  crlUrl: string;
  ocspUrl: string;
  /** A URL on 127.0.0.1 where nothing listens. */
  deadUrl: string;
  keys: {
    individualAuth: TestKey;
    individualSign: TestKey;
    employeeAuth: TestKey;
    employeeSign: TestKey;
    expired: TestKey;
    notYetValid: TestKey;
    revoked: TestKey;
    lookAlike: TestKey;
    /** An ECDSA P-256 SIGN key (the NCA issues RSA and GOST; ECDSA is verified all the same). */
    ecSign: TestKey;
  };
  /** A CMS SignedData (DER) over `content`, made by `openssl cms -sign`; detached unless `attached`. */
  sign(key: TestKey, content: Uint8Array, options?: { attached?: boolean; digest?: 'sha256' | 'sha1' | 'sha512'; keyid?: boolean }): Promise<Buffer>;
  /**
   * Another OCSP responder over the same index: signed by the CA itself without certificates in
   * the answer, or by the look-alike CA (whose answers must not be believed). Stopped by close().
   */
  startResponder(signer: 'ca' | 'look-alike'): Promise<string>;
  close(): Promise<void>;
}

export const ROOT_NAME = '/C=KZ/CN=КОРНЕВОЙ УДОСТОВЕРЯЮЩИЙ ЦЕНТР (RSA) TEST';
export const CA_NAME = '/C=KZ/CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA) TEST';

/** NCA profile identifiers (see src/modules/signatures/nca-profile.ts for the sources). */
const EKU_INDIVIDUAL = '1.2.398.3.3.4.1.1';
const EKU_ORGANIZATION = '1.2.398.3.3.4.1.2';
const EKU_EMPLOYEE = '1.2.398.3.3.4.1.2.5';
const POLICY_LEGAL_SIGN = '1.2.398.3.3.2.1';
const POLICY_LEGAL_AUTH = '1.2.398.3.3.2.2';
const POLICY_INDIVIDUAL_SIGN = '1.2.398.3.3.2.3';
const POLICY_INDIVIDUAL_AUTH = '1.2.398.3.3.2.4';

function opensslConfig(dir: string, urls: { crl: string; ocsp: string; caIssuers: string }): string {
  const leaf = `basicConstraints = critical,CA:false
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:${urls.ocsp},caIssuers;URI:${urls.caIssuers}
crlDistributionPoints = URI:${urls.crl}`;
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

async function openssl(args: string[], cwd: string): Promise<string> {
  const { stdout } = await execa('openssl', args, { cwd });
  return stdout;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Waits for the responder's "waiting for OCSP client connections" line. Probing the port instead
 * would hurt: OpenSSL 3.0's responder spins at full CPU after a connection that closes without a
 * request.
 */
async function waitForResponder(child: ResultPromise): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`OCSP responder did not start: ${seen}`)), 10_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('waiting for OCSP client connections')) { clearTimeout(timer); resolve(); }
    });
    void child.then((result) => { clearTimeout(timer); reject(new Error(`openssl ocsp exited: ${String(result.stderr)}`)); });
  });
}

function stamp(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-test-pki-'));
  const trustDir = path.join(dir, 'trust');
  mkdirSync(trustDir);
  mkdirSync(path.join(dir, 'ca-db', 'new'), { recursive: true });
  writeFileSync(path.join(dir, 'ca-db', 'index.txt'), '');
  writeFileSync(path.join(dir, 'ca-db', 'serial'), '1000A0\n');
  writeFileSync(path.join(dir, 'ca-db', 'crlnumber'), '01\n');

  let crlBody: Buffer = Buffer.alloc(0);
  let caDer: Buffer = Buffer.alloc(0);
  const http: Server = createServer((request, response) => {
    if (request.url === '/nca_rsa_test.crl') {
      response.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(crlBody);
    } else if (request.url === '/nca_rsa_test.cer') {
      response.writeHead(200, { 'content-type': 'application/pkix-cert' }).end(caDer);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const httpPort = (http.address() as AddressInfo).port;
  const ocspPort = await freePort();
  const deadPort = await freePort();
  const crlUrl = `http://127.0.0.1:${httpPort}/nca_rsa_test.crl`;
  const ocspUrl = `http://127.0.0.1:${ocspPort}/`;
  const config = path.join(dir, 'openssl.cnf');
  writeFileSync(config, opensslConfig(dir, { crl: crlUrl, ocsp: ocspUrl, caIssuers: `http://127.0.0.1:${httpPort}/nca_rsa_test.cer` }));
  const run = (args: string[]) => openssl(args, dir);

  async function selfSigned(name: string, subject: string): Promise<void> {
    await run(['req', '-config', config, '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
      '-days', '3650', '-subj', subject, '-utf8', '-extensions', 'v3_root', '-sha256']);
  }
  async function subordinate(name: string, subject: string, issuer: string, serial: string): Promise<void> {
    await run(['req', '-config', config, '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject, '-utf8']);
    await run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-set_serial', serial,
      '-days', '1825', '-sha256', '-extfile', config, '-extensions', 'v3_ca', '-out', `${name}.pem`]);
  }
  await selfSigned('root', ROOT_NAME);
  await subordinate('ca', CA_NAME, 'root', '0x0A01');
  // The look-alike: the same names as the NCA's root and CA, keys of its own.
  await selfSigned('fake-root', ROOT_NAME);
  await subordinate('fake-ca', CA_NAME, 'fake-root', '0x0A01');

  await run(['x509', '-in', 'root.pem', '-out', path.join(trustDir, 'root.pem')]);
  await run(['x509', '-in', 'ca.pem', '-outform', 'DER', '-out', path.join(trustDir, 'nca_rsa.cer')]);
  caDer = readFileSync(path.join(trustDir, 'nca_rsa.cer'));

  async function issue(label: string, options: {
    profile: 'auth_individual' | 'sign_individual' | 'auth_employee' | 'sign_employee';
    iin: string; bin?: string; notBefore?: Date; notAfter?: Date; issuer?: 'fake-ca'; ec?: boolean;
  }): Promise<TestKey> {
    const legal = options.bin !== undefined;
    const subject = legal
      ? `/C=KZ/CN=СОТРУДНИКОВА АЙГУЛЬ/SN=СОТРУДНИКОВА/GN=НУРЛАНОВНА/serialNumber=IIN${options.iin}/O=АО "ТЕСТОВАЯ ОРГАНИЗАЦИЯ"/OU=BIN${options.bin}/emailAddress=${label}@example.kz`
      : `/C=KZ/CN=ТЕСТОВ ТЕСТ/SN=ТЕСТОВ/GN=ТЕСТОВИЧ/serialNumber=IIN${options.iin}/emailAddress=${label}@example.kz`;
    const notBefore = options.notBefore ?? new Date(Date.now() - 24 * 3600_000);
    const notAfter = options.notAfter ?? new Date(Date.now() + 365 * 24 * 3600_000);
    const newKey = options.ec ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
    await run(['req', '-config', config, '-new', ...newKey, '-nodes', '-keyout', `${label}.key`, '-out', `${label}.csr`, '-subj', subject, '-utf8']);
    if (options.issuer === 'fake-ca') {
      await run(['x509', '-req', '-in', `${label}.csr`, '-CA', 'fake-ca.pem', '-CAkey', 'fake-ca.key', '-set_serial', '0x1000A0',
        '-days', '365', '-sha256', '-extfile', config, '-extensions', options.profile, '-out', `${label}.pem`]);
    } else {
      await run(['ca', '-config', config, '-batch', '-notext', '-preserveDN', '-utf8', '-extensions', options.profile, '-in', `${label}.csr`,
        '-out', `${label}.pem`, '-startdate', stamp(notBefore), '-enddate', stamp(notAfter)]);
    }
    const chainPath = path.join(dir, options.issuer === 'fake-ca' ? 'fake-chain.pem' : 'chain.pem');
    await run(['pkcs12', '-export', '-in', `${label}.pem`, '-inkey', `${label}.key`, '-certfile', chainPath, '-name', label,
      '-out', `${label}.p12`, '-passout', `pass:${TEST_PKI_PASSWORD}`]);
    const serial = (await run(['x509', '-in', `${label}.pem`, '-noout', '-serial'])).trim().replace(/^serial=/, '');
    return {
      label,
      certPath: path.join(dir, `${label}.pem`),
      keyPath: path.join(dir, `${label}.key`),
      p12Path: path.join(dir, `${label}.p12`),
      certPem: readFileSync(path.join(dir, `${label}.pem`), 'utf8'),
      chainPath,
      iin: options.iin,
      bin: options.bin ?? null,
      serialHex: serial.toLowerCase(),
    };
  }
  writeFileSync(path.join(dir, 'chain.pem'), readFileSync(path.join(dir, 'ca.pem')));
  writeFileSync(path.join(dir, 'fake-chain.pem'), Buffer.concat([readFileSync(path.join(dir, 'fake-ca.pem')), readFileSync(path.join(dir, 'fake-root.pem'))]));

  const day = 24 * 3600_000;
  const keys = {
    individualAuth: await issue('individual-auth', { profile: 'auth_individual', iin: '880101300123' }),
    individualSign: await issue('individual-sign', { profile: 'sign_individual', iin: '880101300123' }),
    employeeAuth: await issue('employee-auth', { profile: 'auth_employee', iin: '900215400567', bin: '123456789021' }),
    employeeSign: await issue('employee-sign', { profile: 'sign_employee', iin: '900215400567', bin: '123456789021' }),
    expired: await issue('expired', { profile: 'sign_individual', iin: '750505300999', notBefore: new Date(Date.now() - 400 * day), notAfter: new Date(Date.now() - 30 * day) }),
    notYetValid: await issue('not-yet-valid', { profile: 'sign_individual', iin: '750505300999', notBefore: new Date(Date.now() + 30 * day), notAfter: new Date(Date.now() + 400 * day) }),
    revoked: await issue('revoked', { profile: 'sign_individual', iin: '660606300444' }),
    lookAlike: await issue('look-alike', { profile: 'sign_individual', iin: '880101300123', issuer: 'fake-ca' }),
    ecSign: await issue('ec-sign', { profile: 'sign_individual', iin: '880101300123', ec: true }),
  };

  await run(['ca', '-config', config, '-batch', '-utf8', '-extensions', 'ocsp_responder', '-in', await (async () => {
    await run(['req', '-config', config, '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ocsp.key', '-out', 'ocsp.csr', '-subj', '/C=KZ/CN=OCSP RESPONDER TEST', '-utf8']);
    return 'ocsp.csr';
  })(), '-out', 'ocsp.pem', '-notext']);
  await run(['ca', '-config', config, '-revoke', keys.revoked.certPath, '-crl_reason', 'keyCompromise']);
  await run(['ca', '-config', config, '-gencrl', '-out', 'ca.crl']);
  crlBody = Buffer.from(await execa('openssl', ['crl', '-in', 'ca.crl', '-outform', 'DER'], { cwd: dir, encoding: 'buffer' }).then((r) => r.stdout));

  const responders: ResultPromise[] = [];
  async function startResponder(signerCert: string, signerKey: string, extra: string[] = [], fixedPort?: number): Promise<string> {
    const port = fixedPort ?? (await freePort());
    // OpenSSL 3.0 takes a port only: the responder listens on every interface while the tests run.
    const child = execa('openssl', ['ocsp', '-port', String(port), '-index', path.join(dir, 'ca-db', 'index.txt'),
      '-CA', path.join(dir, 'ca.pem'), '-rsigner', path.join(dir, signerCert), '-rkey', path.join(dir, signerKey), '-nmin', '5', '-ignore_err', ...extra],
    { cwd: dir, reject: false, stdio: ['ignore', 'ignore', 'pipe'] });
    responders.push(child);
    await waitForResponder(child);
    return `http://127.0.0.1:${port}/`;
  }
  await startResponder('ocsp.pem', 'ocsp.key', [], ocspPort);

  return {
    dir,
    trustDir,
    crlUrl,
    ocspUrl,
    deadUrl: `http://127.0.0.1:${deadPort}/`,
    keys,
    async sign(key, content, options = {}) {
      const input = path.join(dir, `content-${process.hrtime.bigint()}.bin`);
      writeFileSync(input, content);
      try {
        const args = ['cms', '-sign', '-binary', '-in', input, '-signer', key.certPath, '-inkey', key.keyPath, '-certfile', key.chainPath,
          '-md', options.digest ?? 'sha256', '-outform', 'DER'];
        if (options.attached) args.push('-nodetach');
        if (options.keyid) args.push('-keyid');
        const { stdout } = await execa('openssl', args, { cwd: dir, encoding: 'buffer' });
        return Buffer.from(stdout);
      } finally {
        rmSync(input, { force: true });
      }
    },
    startResponder: (signer) => (signer === 'ca' ? startResponder('ca.pem', 'ca.key', ['-resp_no_certs']) : startResponder('fake-ca.pem', 'fake-ca.key')),
    async close() {
      for (const responder of responders) responder.kill('SIGTERM');
      await Promise.all(responders);
      await new Promise<void>((resolve) => http.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
