/**
 * A stand-in for NCALayer, the NCA's desktop signer: a WebSocket server on 127.0.0.1 (plain ws://
 * for Node clients, or wss:// with a self-signed certificate for a browser told to ignore
 * certificate errors) speaking the protocol exactly as ncalayer-js-client 1.5.6 uses it
 * (node_modules/ncalayer-js-client/ncalayer-client.js; sigex-kz/ncalayer-js-client on GitHub; the
 * basics module: https://github.com/pkigovkz/sdkinfo/wiki/KNCA-Basics-Module):
 *   - on connect NCALayer sends {"result":{"version":…}}; the client then asks
 *     {"module":"kz.digiflow.mobile.extensions","method":"getVersion"} to detect KAZTOKEN, which
 *     real NCALayer does not know (answered with an error, so the client treats us as NCALayer);
 *   - module kz.gov.pki.knca.commonUtils: requests {module, method, args: [...]}, answers
 *     {"code":"200","responseObject":…} or {"code":"500","message":…}; methods getActiveTokens,
 *     getKeyInfo [storage], createCAdESFromBase64 / createCMSSignatureFromBase64 [storage,
 *     keyType 'SIGNATURE'|'AUTHENTICATION', base64 data, attach];
 *   - module kz.gov.pki.knca.basics, method sign: args {allowedStorages, format 'cms'|'xml', data
 *     (string or array), signingParams {decode, encapsulate, digested, tsaProfile}, signerParams
 *     {extKeyUsageOids}, locale}; answers {"status":true,"body":{"result":[…]}}, a cancel is
 *     {"status":true,"body":{}}, an error {"status":false,"code","message","details"}.
 * Keys are PKCS#12 files opened with their password; the "user" picks the first key whose
 * extended key usage holds every OID asked for. Signatures are made by `openssl cms -sign`.
 * XML signing (signXml, format 'xml') and hash signing (digested) are answered with an error.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { WebSocketServer, type WebSocket } from 'ws';
import { derBlocks, extendedKeyUsage, nameAttributes, nameText, parseCertificate, serialHex } from '../../src/modules/signatures/certificates.ts';

export interface StandinKey {
  p12Path: string;
  password: string;
}

export interface NcaLayerStandin {
  url: string;
  /** Every request received, parsed. */
  requests: Array<Record<string, unknown>>;
  /** The next signing request is cancelled by the "user". */
  cancelNext(): void;
  close(): Promise<void>;
}

interface OpenedKey {
  alias: string;
  certPath: string;
  keyPath: string;
  chainPath: string;
  certPem: string;
  eku: string[];
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';

async function openKey(dir: string, key: StandinKey, index: number): Promise<OpenedKey> {
  const pass = `pass:${key.password}`;
  const base = path.join(dir, `key-${index}`);
  await execa('openssl', ['pkcs12', '-in', key.p12Path, '-passin', pass, '-nocerts', '-nodes', '-out', `${base}.key`]);
  await execa('openssl', ['pkcs12', '-in', key.p12Path, '-passin', pass, '-clcerts', '-nokeys', '-out', `${base}.pem`]);
  await execa('openssl', ['pkcs12', '-in', key.p12Path, '-passin', pass, '-cacerts', '-nokeys', '-out', `${base}-chain.pem`]);
  const certPem = readFileSync(`${base}.pem`, 'utf8');
  const certificate = parseCertificate(derBlocks(certPem)[0]!);
  return {
    alias: path.basename(key.p12Path, '.p12'),
    certPath: `${base}.pem`,
    keyPath: `${base}.key`,
    chainPath: `${base}-chain.pem`,
    certPem,
    eku: extendedKeyUsage(certificate) ?? [],
  };
}

export async function startNcaLayerStandin(options: { keys: StandinKey[]; tls?: boolean; port?: number }): Promise<NcaLayerStandin> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ncalayer-standin-'));
  const keys = await Promise.all(options.keys.map((key, index) => openKey(dir, key, index)));
  const requests: Array<Record<string, unknown>> = [];
  let cancel = false;

  let https: HttpsServer | null = null;
  let wss: WebSocketServer;
  if (options.tls) {
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tls.key', '-out', 'tls.pem', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir });
    https = createHttpsServer({ key: readFileSync(path.join(dir, 'tls.key')), cert: readFileSync(path.join(dir, 'tls.pem')) });
    wss = new WebSocketServer({ server: https });
    await new Promise<void>((resolve) => https!.listen(options.port ?? 0, '127.0.0.1', resolve));
  } else {
    wss = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
  }
  const port = ((https ?? wss).address() as AddressInfo).port;

  function pick(oids: string[]): OpenedKey | undefined {
    return keys.find((key) => oids.every((oid) => key.eku.includes(oid)));
  }

  async function signCms(key: OpenedKey, data: Buffer, attach: boolean): Promise<string> {
    const input = path.join(dir, `data-${process.hrtime.bigint()}`);
    writeFileSync(input, data);
    try {
      const args = ['cms', '-sign', '-binary', '-in', input, '-signer', key.certPath, '-inkey', key.keyPath, '-md', 'sha256', '-outform', 'DER'];
      if (readFileSync(key.chainPath, 'utf8').includes('BEGIN CERTIFICATE')) args.push('-certfile', key.chainPath);
      if (attach) args.push('-nodetach');
      const { stdout } = await execa('openssl', args, { encoding: 'buffer' });
      return Buffer.from(stdout).toString('base64');
    } finally {
      rmSync(input, { force: true });
    }
  }

  function keyInfo(key: OpenedKey): Record<string, string> {
    const certificate = parseCertificate(derBlocks(key.certPem)[0]!);
    const cn = (name: typeof certificate.subject) => nameAttributes(name).find((a) => a.label === 'CN')?.value ?? '';
    return {
      alias: key.alias,
      keyId: serialHex(certificate),
      algorithm: 'RSA',
      subjectCn: cn(certificate.subject),
      subjectDn: nameText(certificate.subject),
      issuerCn: cn(certificate.issuer),
      issuerDn: nameText(certificate.issuer),
      serialNumber: serialHex(certificate),
      certNotBefore: String(certificate.notBefore.value.getTime()),
      certNotAfter: String(certificate.notAfter.value.getTime()),
      pem: key.certPem,
    };
  }

  async function answerCommonUtils(method: string, args: unknown[]): Promise<object> {
    if (method === 'getActiveTokens') return { code: '200', responseObject: [] };
    if (method === 'getKeyInfo') {
      const key = keys[0];
      return key ? { code: '200', responseObject: keyInfo(key) } : { code: '500', message: 'no keys' };
    }
    if (method === 'createCAdESFromBase64' || method === 'createCMSSignatureFromBase64') {
      const [storage, keyType, data, attach] = args as [string, string, string, boolean];
      if (storage !== 'PKCS12') return { code: '500', message: `storage ${storage} not available` };
      if (cancel) { cancel = false; return { code: '500', message: 'action.canceled' }; }
      const key = pick(keyType === 'AUTHENTICATION' ? [CLIENT_AUTH] : keyType === 'SIGNATURE' ? [EMAIL_PROTECTION] : []);
      if (!key) return { code: '500', message: `no ${keyType} key in the storage` };
      return { code: '200', responseObject: await signCms(key, Buffer.from(data, 'base64'), Boolean(attach)) };
    }
    return { code: '500', message: `${method} is not supported by the stand-in` };
  }

  async function answerBasics(args: Record<string, unknown>): Promise<object> {
    const failure = (message: string) => ({ status: false, code: '500', message, details: '' });
    if (args.format !== 'cms') return failure(`format ${String(args.format)} is not supported by the stand-in`);
    const signing = (args.signingParams ?? {}) as { decode?: boolean; encapsulate?: boolean; digested?: boolean };
    if (signing.digested) return failure('hash signing is not supported by the stand-in');
    const allowed = args.allowedStorages as string[] | null;
    if (allowed && !allowed.includes('PKCS12')) return failure('no allowed storage available');
    if (cancel) { cancel = false; return { status: true, body: {} }; }
    const oids = ((args.signerParams ?? {}) as { extKeyUsageOids?: string[] }).extKeyUsageOids ?? [];
    const key = pick(oids);
    if (!key) return failure(`no key with extended key usage ${oids.join(', ')}`);
    const documents = Array.isArray(args.data) ? (args.data as string[]) : [String(args.data)];
    const result: string[] = [];
    for (const document of documents) {
      result.push(await signCms(key, signing.decode ? Buffer.from(document, 'base64') : Buffer.from(document, 'utf8'), Boolean(signing.encapsulate)));
    }
    return { status: true, body: { result } };
  }

  wss.on('connection', (socket: WebSocket) => {
    socket.send(JSON.stringify({ result: { version: '1.4' } }));
    socket.on('message', (raw) => {
      void (async () => {
        let request: Record<string, unknown>;
        try {
          request = JSON.parse(String(raw)) as Record<string, unknown>;
        } catch {
          socket.send(JSON.stringify({ code: '500', message: 'bad request' }));
          return;
        }
        requests.push(request);
        const { module, method } = request as { module?: string; method?: string };
        let answer: object;
        if (module === 'kz.gov.pki.knca.commonUtils') answer = await answerCommonUtils(String(method), (request.args as unknown[]) ?? []);
        else if (module === 'kz.gov.pki.knca.basics' && method === 'sign') answer = await answerBasics((request.args ?? {}) as Record<string, unknown>);
        else answer = { code: '500', message: `module ${String(module)} not found` };
        socket.send(JSON.stringify(answer));
      })();
    });
  });

  return {
    url: `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    requests,
    cancelNext() {
      cancel = true;
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      if (https) await new Promise<void>((resolve) => https!.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
