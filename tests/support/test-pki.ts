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
import { type CertificateProfile, ncaSubject, preparePkiWorkspace } from '../../src/modules/signatures/pki-generator.ts';

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
    /** A revoked AUTH key: sign-in checks revocation only after the key usage. */
    revokedAuth: TestKey;
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

export async function createTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-test-pki-'));
  const trustDir = path.join(dir, 'trust');
  mkdirSync(trustDir);

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
  const workspace = preparePkiWorkspace(dir, { crl: crlUrl, ocsp: ocspUrl, caIssuers: `http://127.0.0.1:${httpPort}/nca_rsa_test.cer` });
  const config = path.join(dir, 'openssl.cnf');
  const { run, selfSigned, subordinate } = workspace;

  await selfSigned('root', ROOT_NAME);
  await subordinate('ca', CA_NAME, 'root', '0x0A01');
  // The look-alike: the same names as the NCA's root and CA, keys of its own.
  await selfSigned('fake-root', ROOT_NAME);
  await subordinate('fake-ca', CA_NAME, 'fake-root', '0x0A01');

  await run(['x509', '-in', 'root.pem', '-out', path.join(trustDir, 'root.pem')]);
  await run(['x509', '-in', 'ca.pem', '-outform', 'DER', '-out', path.join(trustDir, 'nca_rsa.cer')]);
  caDer = readFileSync(path.join(trustDir, 'nca_rsa.cer'));

  async function issue(label: string, options: {
    profile: CertificateProfile; iin: string; bin?: string; notBefore?: Date; notAfter?: Date; issuer?: 'fake-ca'; ec?: boolean;
  }): Promise<TestKey> {
    const subject = options.bin !== undefined
      ? ncaSubject({ commonName: 'СОТРУДНИКОВА АЙГУЛЬ', surname: 'СОТРУДНИКОВА', givenName: 'НУРЛАНОВНА', iin: options.iin, email: `${label}@example.kz`,
        organization: { name: 'АО "ТЕСТОВАЯ ОРГАНИЗАЦИЯ"', bin: options.bin } })
      : ncaSubject({ commonName: 'ТЕСТОВ ТЕСТ', surname: 'ТЕСТОВ', givenName: 'ТЕСТОВИЧ', iin: options.iin, email: `${label}@example.kz` });
    const issued = await workspace.issue(label, {
      profile: options.profile,
      subject,
      password: TEST_PKI_PASSWORD,
      ...(options.notBefore ? { notBefore: options.notBefore } : {}),
      ...(options.notAfter ? { notAfter: options.notAfter } : {}),
      ...(options.ec ? { ec: true } : {}),
      ...(options.issuer ? { issuer: { name: 'fake-ca', chainPath: path.join(dir, 'fake-chain.pem'), serial: '0x1000A0' } } : {}),
    });
    return { ...issued, iin: options.iin, bin: options.bin ?? null };
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
    revokedAuth: await issue('revoked-auth', { profile: 'auth_individual', iin: '660606300444' }),
    lookAlike: await issue('look-alike', { profile: 'sign_individual', iin: '880101300123', issuer: 'fake-ca' }),
    ecSign: await issue('ec-sign', { profile: 'sign_individual', iin: '880101300123', ec: true }),
  };

  await run(['ca', '-config', config, '-batch', '-utf8', '-extensions', 'ocsp_responder', '-in', await (async () => {
    await run(['req', '-config', config, '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ocsp.key', '-out', 'ocsp.csr', '-subj', '/C=KZ/CN=OCSP RESPONDER TEST', '-utf8']);
    return 'ocsp.csr';
  })(), '-out', 'ocsp.pem', '-notext']);
  await run(['ca', '-config', config, '-revoke', keys.revoked.certPath, '-crl_reason', 'keyCompromise']);
  await run(['ca', '-config', config, '-revoke', keys.revokedAuth.certPath, '-crl_reason', 'keyCompromise']);
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
