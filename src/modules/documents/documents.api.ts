/**
 * The documents module's JSON API: placing a document's PDF/A-1 original and DOCX draft, its
 * versions, each file's check status, veraPDF's report and the stored bytes — the same service
 * functions (documents.service.ts) with the same permissions as the pages, documented by OpenAPI.
 */
import type { FastifySchema } from 'fastify';
import { access, iso, isoOrNull, jsonApiRoutes, requestContext } from '../../web/api/json-api.ts';
import { count, errors, instant, nullableInstant, nullableText, object, READ_ERRORS, text, WRITE_ERRORS } from '../../web/api/json-schemas.ts';
import { DOCUMENT_KIND_IDS } from '../objects/document-kinds.ts';
import { objectIdParams } from '../objects/objects.api.ts';
import {
  type DocumentFileView,
  type DocumentVersionView,
  getDocumentFile,
  getDocumentReport,
  listObjectDocuments,
  openDocumentFile,
  requireUploadableObject,
  uploadDocumentPair,
} from './documents.service.ts';
import { sendDownload } from './documents.view.ts';
import { readDocumentUpload } from './upload-parts.ts';

const fileParams = object({ fileId: { type: 'string', description: "The document file's id (a UUID)." } });
const checkReason = { type: 'object', required: ['code'], additionalProperties: false, properties: { code: text, params: { type: 'object' } } };
const failedRule = object({
  specification: text,
  clause: text,
  testNumber: { type: 'integer' },
  description: text,
  failedChecks: count,
  object: nullableText,
  examples: { type: 'array', items: object({ context: nullableText, errorMessage: nullableText }) },
});
const documentFile = object({
  id: text,
  slot: { enum: ['pdf', 'docx'] },
  status: { enum: ['queued', 'checking', 'accepted', 'rejected', 'check_failed'] },
  reasons: { type: 'array', items: checkReason },
  sha256: text,
  sizeBytes: count,
  originalName: text,
  mediaType: text,
  declaredPdfa: nullableText,
  validatedAs: nullableText,
  pageCount: { type: ['integer', 'null'] },
  attempts: count,
  checkedAt: nullableInstant,
  failedRules: { type: 'array', items: failedRule },
  statusUrl: text,
  downloadUrl: text,
});
const documentVersion = object({
  id: text,
  objectId: text,
  kind: { enum: [...DOCUMENT_KIND_IDS] },
  version: { type: 'integer', minimum: 1 },
  title: nullableText,
  uploadedAt: instant,
  uploadedByName: nullableText,
  status: { enum: ['accepted', 'rejected', 'checking'] },
  files: { type: 'object', additionalProperties: false, properties: { pdf: documentFile, docx: documentFile } },
});
const documentFileStatus = {
  ...documentFile,
  required: [...documentFile.required, 'objectId', 'kind', 'version', 'versionId'],
  properties: { ...documentFile.properties, objectId: text, kind: { enum: [...DOCUMENT_KIND_IDS] }, version: { type: 'integer' }, versionId: text },
};

function documentFileJson(file: DocumentFileView) {
  return { ...file, checkedAt: isoOrNull(file.checkedAt), statusUrl: `/api/document-files/${file.id}`, downloadUrl: `/api/document-files/${file.id}/content` };
}

function documentVersionJson(version: DocumentVersionView) {
  return {
    ...version,
    uploadedAt: iso(version.uploadedAt),
    files: Object.fromEntries(Object.entries(version.files).map(([slot, file]) => [slot, documentFileJson(file)])),
  };
}

export const documentsApiSchemas = {
  uploadDocument: {
    summary: "Place a new version of one of the object's documents",
    description:
      'A document is a pair (003 §7): the PDF/A-1 original and the DOCX draft, sent together as multipart/form-data with the fields ' +
      'kind, title (optional), pdf and docx. The type of each file is decided by its content. The DOCX is checked at once (package ' +
      'structure, macros, zip-bomb limits, then its text); the PDF is queued for veraPDF. 202: the new version, each file with its ' +
      'status resource (Location: the PDF\'s). 422: details.fields per field (kind, title, pdf, docx), rule "document_rejected" with ' +
      'params.reason (e.g. docx_macro_enabled, pdf_expected) or "required"; nothing is stored then.',
    tags: ['documents'],
    params: objectIdParams,
    body: {
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['kind', 'pdf', 'docx'],
            properties: {
              kind: { enum: [...DOCUMENT_KIND_IDS] },
              title: { type: 'string', maxLength: 300 },
              pdf: { type: 'string', contentMediaType: 'application/pdf', description: 'The PDF/A-1 original.' },
              docx: { type: 'string', contentMediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', description: 'The DOCX draft.' },
            },
          },
        },
      },
    },
    response: { 202: documentVersion, ...errors(400, ...WRITE_ERRORS, 404, 409, 413, 415) },
  },

  listDocuments: {
    summary: "The object's documents: every kind's current version and the earlier ones",
    tags: ['documents'],
    params: objectIdParams,
    response: {
      200: object({ items: { type: 'array', items: object({ kind: { enum: [...DOCUMENT_KIND_IDS] }, current: documentVersion, earlier: { type: 'array', items: documentVersion } }) } }),
      ...errors(...READ_ERRORS, 404),
    },
  },

  getDocumentFile: {
    summary: "A document file's check status",
    description: 'Status: queued → checking → accepted | rejected; check_failed when veraPDF could not run (retried, never accepted unchecked).',
    tags: ['documents'],
    params: fileParams,
    response: { 200: documentFileStatus, ...errors(...READ_ERRORS, 404) },
  },

  getDocumentReport: {
    summary: "veraPDF's full report on a PDF original",
    tags: ['documents'],
    params: fileParams,
    response: { 200: object({ report: {} }, 'The job as veraPDF reported it; null for a DOCX or before the check.'), ...errors(...READ_ERRORS, 404) },
  },

  downloadDocumentFile: {
    summary: 'Download a document file',
    description: 'The stored bytes, with their content type, file name and SHA-256 (Repr-Digest and X-Content-SHA256 headers, ETag).',
    tags: ['documents'],
    params: fileParams,
    response: { 200: { description: 'The file.', type: 'string' }, ...errors(...READ_ERRORS, 404, 503) },
  },
} satisfies Record<string, FastifySchema>;

export default jsonApiRoutes('portal-documents-api', async function documentsApi(fastify) {
  const { db, config, store } = fastify.deps;
  const schemas = documentsApiSchemas;

  fastify.post<{ Params: { id: string } }>(
    '/api/objects/:id/documents',
    // The body is streamed by the handler (to disk, hashed, size limited), never parsed by fastify.
    { config: access('objects.edit'), schema: schemas.uploadDocument, attachValidation: true },
    async (request, reply) => {
      await requireUploadableObject(db, request.user, request.params.id);
      const upload = await readDocumentUpload(request, store, config.uploadLimitBytes);
      const version = await uploadDocumentPair({ db, store, jobs: fastify.deps.jobs }, request.user, request.params.id, upload, requestContext(request));
      fastify.deps.documentChecks?.wake();
      const json = documentVersionJson(version);
      return reply.code(202).header('location', json.files.pdf?.statusUrl ?? `/api/objects/${request.params.id}/documents`).send(json);
    },
  );

  fastify.get<{ Params: { id: string } }>('/api/objects/:id/documents', { config: access('objects.read'), schema: schemas.listDocuments }, async (request) => ({
    items: (await listObjectDocuments(db, request.user, request.params.id)).map((entry) => ({
      kind: entry.kind,
      current: documentVersionJson(entry.current),
      earlier: entry.earlier.map(documentVersionJson),
    })),
  }));

  fastify.get<{ Params: { fileId: string } }>('/api/document-files/:fileId', { config: access('objects.read'), schema: schemas.getDocumentFile }, async (request) => {
    const file = await getDocumentFile(db, request.user, request.params.fileId);
    return { ...documentFileJson(file), objectId: file.objectId, kind: file.kind, version: file.version, versionId: file.versionId };
  });

  fastify.get<{ Params: { fileId: string } }>('/api/document-files/:fileId/report', { config: access('objects.read'), schema: schemas.getDocumentReport }, async (request) => ({
    report: (await getDocumentReport(db, request.user, request.params.fileId)) ?? null,
  }));

  fastify.get<{ Params: { fileId: string } }>('/api/document-files/:fileId/content', { config: access('objects.read'), schema: schemas.downloadDocumentFile }, async (request, reply) => {
    return sendDownload(reply, await openDocumentFile(db, store, request.user, request.params.fileId));
  });
});
