/**
 * The content-addressed store of uploaded files, in the data directory:
 *   <dataDir>/documents/sha256/ab/abcdef…   the file whose SHA-256 is abcdef…
 *   <dataDir>/documents/incoming/           uploads being received (same file system, so the
 *                                           final move is an atomic link/rename)
 *
 * An upload is streamed into `incoming` while its SHA-256 and size are computed and the size limit
 * is enforced, then linked into place. A file in the store is never modified; the same content
 * uploaded twice is stored once.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class UploadTooLargeError extends Error {
  override name = 'UploadTooLargeError';
  readonly limitBytes: number;

  constructor(limitBytes: number) {
    super(`the file is larger than ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

export interface ReceivedFile {
  /** Where the bytes are now: a file in `incoming`, removed by discard() or moved by commit(). */
  tempPath: string;
  sha256: string;
  size: number;
}

export interface DocumentStore {
  readonly root: string;
  /** Streams `source` into a new temporary file; throws UploadTooLargeError past `limitBytes` (the partial file is removed). */
  receive(source: Readable, limitBytes: number): Promise<ReceivedFile>;
  /** Moves a received file into the store under its hash; `created` is false when the same content was there already. */
  commit(file: ReceivedFile): Promise<{ created: boolean }>;
  /** Removes a received file that will not be kept. Never throws. */
  discard(file: ReceivedFile): Promise<void>;
  /** Removes a stored file again (only for rolling back a commit whose database write failed). */
  remove(sha256: string): Promise<void>;
  pathFor(sha256: string): string;
  exists(sha256: string): Promise<boolean>;
  /** Re-hashes a stored file: its actual SHA-256, or null when it is missing. */
  rehash(sha256: string): Promise<string | null>;
  /** Every hash in the store (for the fixity job's orphan count). */
  list(): AsyncGenerator<string>;
  /** Removes what an interrupted upload left in `incoming` (call at start-up, before accepting uploads). */
  sweepIncoming(olderThanMs?: number): Promise<number>;
}

const SHA256 = /^[0-9a-f]{64}$/;

export function createDocumentStore(dataDir: string): DocumentStore {
  const root = path.join(dataDir, 'documents');
  const incoming = path.join(root, 'incoming');
  const objects = path.join(root, 'sha256');

  function pathFor(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return path.join(objects, sha256.slice(0, 2), sha256);
  }

  async function hashFile(file: string): Promise<string> {
    const hash = createHash('sha256');
    await pipeline(createReadStream(file), hash);
    return hash.digest('hex');
  }

  return {
    root,
    pathFor,

    async receive(source, limitBytes) {
      await mkdir(incoming, { recursive: true });
      const tempPath = path.join(incoming, `${randomUUID()}.part`);
      const hash = createHash('sha256');
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          if (size > limitBytes) {
            callback(new UploadTooLargeError(limitBytes));
            return;
          }
          hash.update(chunk);
          callback(null, chunk);
        },
      });
      try {
        await pipeline(source, meter, createWriteStream(tempPath, { flags: 'wx' }));
      } catch (error) {
        await rm(tempPath, { force: true }).catch(() => undefined);
        // @fastify/multipart ends the stream early (truncated) at its own fileSize limit.
        if ((source as Readable & { truncated?: boolean }).truncated) throw new UploadTooLargeError(limitBytes);
        throw error;
      }
      if ((source as Readable & { truncated?: boolean }).truncated) {
        await rm(tempPath, { force: true }).catch(() => undefined);
        throw new UploadTooLargeError(limitBytes);
      }
      return { tempPath, sha256: hash.digest('hex'), size };
    },

    async commit(file) {
      const target = pathFor(file.sha256);
      await mkdir(path.dirname(target), { recursive: true });
      let created = true;
      try {
        // link() never replaces: a file already there (same hash, same bytes) stays as it is.
        await link(file.tempPath, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        created = false;
      }
      await unlink(file.tempPath).catch(() => undefined);
      return { created };
    },

    async discard(file) {
      await rm(file.tempPath, { force: true }).catch(() => undefined);
    },

    async remove(sha256) {
      await rm(pathFor(sha256), { force: true });
    },

    async exists(sha256) {
      try {
        return (await stat(pathFor(sha256))).isFile();
      } catch {
        return false;
      }
    },

    async rehash(sha256) {
      try {
        return await hashFile(pathFor(sha256));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },

    async *list() {
      let prefixes: string[];
      try {
        prefixes = await readdir(objects);
      } catch {
        return;
      }
      for (const prefix of prefixes.sort()) {
        for (const name of (await readdir(path.join(objects, prefix))).sort()) {
          if (SHA256.test(name)) yield name;
        }
      }
    },

    async sweepIncoming(olderThanMs = 0) {
      let names: string[];
      try {
        names = await readdir(incoming);
      } catch {
        return 0;
      }
      let removed = 0;
      const cutoff = Date.now() - olderThanMs;
      for (const name of names) {
        const file = path.join(incoming, name);
        try {
          if ((await stat(file)).mtimeMs <= cutoff) {
            await rm(file, { force: true });
            removed += 1;
          }
        } catch {
          // Gone meanwhile.
        }
      }
      return removed;
    },
  };
}
