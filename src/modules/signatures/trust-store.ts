/**
 * The trust store: a folder of CA certificates (PKI_TRUST_DIR), each file PEM (one or more
 * certificates) or DER. Every certificate in it is a trust anchor; certificates that come inside
 * a signature only ever help to build a path towards one of them.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as pkijs from 'pkijs';
import { derBlocks, isCa, parseCertificate } from './certificates.ts';

export interface TrustStore {
  anchors: pkijs.Certificate[];
  /** The files read, relative to the folder. */
  files: string[];
}

const CERTIFICATE_FILE = /\.(pem|crt|cer|der)$/i;

export async function loadTrustStore(dir: string): Promise<TrustStore> {
  const names = (await readdir(dir)).filter((name) => CERTIFICATE_FILE.test(name)).sort();
  const anchors: pkijs.Certificate[] = [];
  for (const name of names) {
    const bytes = new Uint8Array(await readFile(path.join(dir, name)));
    for (const der of derBlocks(bytes)) {
      let certificate: pkijs.Certificate;
      try {
        certificate = parseCertificate(der);
      } catch (error) {
        throw new Error(`${path.join(dir, name)}: not a certificate (${error instanceof Error ? error.message : String(error)})`);
      }
      if (!isCa(certificate)) throw new Error(`${path.join(dir, name)}: not a CA certificate (basicConstraints cA and keyCertSign are needed)`);
      anchors.push(certificate);
    }
  }
  if (anchors.length === 0) throw new Error(`${dir}: no CA certificates (.pem, .crt, .cer, .der)`);
  return { anchors, files: names };
}
