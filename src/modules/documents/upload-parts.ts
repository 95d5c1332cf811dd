import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import type { DocumentSlot } from '../../db/database.ts';
import type { IncomingFile, UploadInput } from './documents.service.ts';
import { mebibytes } from './documents.view.ts';
import { type DocumentStore, UploadTooLargeError } from './store.ts';

const FILE_FIELDS: readonly DocumentSlot[] = ['pdf', 'docx'];
const TEXT_FIELDS = ['kind', 'title'] as const;

/**
 * Reads a document upload (multipart: kind, title, pdf, docx), streaming each file into the
 * store's incoming area as it arrives. On any failure (too large, the client went away, a
 * malformed body) every file received so far is removed before the error goes on.
 */
export async function readDocumentUpload(request: FastifyRequest, store: DocumentStore, limitBytes: number): Promise<UploadInput & { fields: Record<string, string> }> {
  if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the document as multipart/form-data with the fields kind, title, pdf and docx');
  const received: IncomingFile[] = [];
  const fields: Record<string, string> = {};
  const files: Partial<Record<DocumentSlot, IncomingFile>> = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const slot = FILE_FIELDS.find((name) => name === part.fieldname);
        // An empty file input still sends a part, with no name and no bytes: that is "no file".
        if (!slot || !part.filename) {
          part.file.resume();
          continue;
        }
        if (files[slot]) {
          part.file.resume();
          throw new AppError('BAD_REQUEST', `the field ${slot} was sent twice`);
        }
        const file = { ...(await store.receive(part.file, limitBytes)), originalName: part.filename };
        received.push(file);
        files[slot] = file;
      } else if ((TEXT_FIELDS as readonly string[]).includes(part.fieldname) || part.fieldname === '_csrf') {
        fields[part.fieldname] = typeof part.value === 'string' ? part.value : String(part.value ?? '');
      }
    }
  } catch (error) {
    for (const file of received) await store.discard(file);
    if (error instanceof UploadTooLargeError || (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new AppError('PAYLOAD_TOO_LARGE', `a file is larger than ${mebibytes(limitBytes)} MiB`, { limitBytes });
    }
    if (error instanceof AppError) throw error;
    throw new AppError('BAD_REQUEST', 'the upload was interrupted or malformed');
  }
  return { kind: fields.kind ?? '', title: fields.title ?? '', pdf: files.pdf ?? null, docx: files.docx ?? null, fields };
}
