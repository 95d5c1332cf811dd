import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browserless } from './auth.ts';
import { sharedFixtures } from './paths.ts';

export const documentsDir = path.join(sharedFixtures, 'documents');
export const corpusDir = path.join(sharedFixtures, 'pdfa-corpus');

export interface ManifestEntry {
  file: string;
  slot: 'pdf' | 'docx';
  expected: 'accept' | 'reject';
  why: string;
  sha256: string;
}

export interface CorpusEntry {
  file: string;
  corpus_part: string;
  expected_pdfa1: 'pass' | 'fail';
  corpus_verdict: string;
  sha256: string;
}

export function documentsManifest(): ManifestEntry[] {
  return (JSON.parse(readFileSync(path.join(documentsDir, 'manifest.json'), 'utf8')) as { files: ManifestEntry[] }).files;
}

export function corpusManifest(): CorpusEntry[] {
  return (JSON.parse(readFileSync(path.join(corpusDir, 'manifest.json'), 'utf8')) as { files: CorpusEntry[] }).files;
}

export interface UploadFile {
  name: string;
  content: Buffer;
}

export function fixtureFile(relative: string, dir = documentsDir): UploadFile {
  return { name: path.basename(relative), content: readFileSync(path.join(dir, relative)) };
}

/** A multipart/form-data body as a browser would send it (built by the platform's own FormData). */
export async function multipartBody(fields: Record<string, string>, files: Record<string, UploadFile | null>): Promise<{ payload: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const [name, file] of Object.entries(files)) {
    // A file input left empty sends a part without a name or bytes.
    form.append(name, file ? new Blob([new Uint8Array(file.content)]) : new Blob([]), file ? file.name : '');
  }
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return { payload: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
}

/** POST /api/objects/:id/documents with a pair. */
export async function apiUpload(app: Pick<FastifyInstance, 'inject'>, session: Browserless, objectId: string, kind: string, files: { pdf: UploadFile | null; docx: UploadFile | null }, title = '') {
  const body = await multipartBody({ kind, title }, files);
  return app.inject({
    method: 'POST',
    url: `/api/objects/${objectId}/documents`,
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': body.contentType },
    payload: body.payload,
  });
}

export interface FileStatus {
  id: string;
  slot: 'pdf' | 'docx';
  status: 'queued' | 'checking' | 'accepted' | 'rejected' | 'check_failed';
  reasons: Array<{ code: string; params?: Record<string, unknown> }>;
  sha256: string;
  declaredPdfa: string | null;
  validatedAs: string | null;
  attempts: number;
  failedRules: Array<{ clause: string; failedChecks: number }>;
}

/** Polls a file's status resource until the check has reached a verdict (or `until` says stop). */
export async function waitForVerdict(
  app: Pick<FastifyInstance, 'inject'>,
  session: Browserless,
  fileId: string,
  options: { timeoutMs?: number; until?: (status: FileStatus) => boolean } = {},
): Promise<FileStatus> {
  const until = options.until ?? ((s: FileStatus) => s.status === 'accepted' || s.status === 'rejected');
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const response = await app.inject({ url: `/api/document-files/${fileId}`, headers: { cookie: session.cookie } });
    if (response.statusCode !== 200) throw new Error(`status of ${fileId}: ${response.statusCode} ${response.body}`);
    const status = response.json() as FileStatus;
    if (until(status)) return status;
    if (Date.now() > deadline) throw new Error(`no verdict for ${fileId} in time: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
