import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, type FieldError } from '../../errors.ts';
import { DOCUMENT_KINDS } from '../objects/document-kinds.ts';
import { stateKey } from '../objects/lifecycle.ts';
import { getObject } from '../objects/objects.service.ts';
import { getDocumentFile, getDocumentReport, listObjectDocuments, openDocumentFile, requireUploadableObject, TITLE_MAX, uploadDocumentPair } from './documents.service.ts';
import { fixityOverview, requestFixityCheck } from './fixity.service.ts';
import { documentTexts, mebibytes, rawReport, sendDownload, stateRequirements, uploadKindChoices, uploadRefusal } from './documents.view.ts';
import { readDocumentUpload } from './upload-parts.ts';
import { parseParams } from '../../web/route-helpers.ts';

const views = '/modules/documents/views';
const read = { access: { permission: 'objects.read' } } as const;
const edit = { access: { permission: 'objects.edit' } } as const;
const status = { access: { permission: 'system.status' } } as const;

const objectParams = z.object({ id: z.guid() });
const fileParams = z.object({ fileId: z.guid() });
const newQuery = z.object({ kind: z.string().max(100).optional().catch(undefined) });

export default async function documentsWeb(fastify: FastifyInstance): Promise<void> {
  const { db, config, store } = fastify.deps;

  async function renderUpload(request: FastifyRequest, reply: FastifyReply, objectId: string, values: { kind: string; title: string }, errors: FieldError[] = []): Promise<FastifyReply> {
    const object = await getObject(db, request.user, objectId);
    if (object.readOnly) throw new AppError('CONFLICT', 'the object is terminated and read-only', { reason: 'object_terminated' });
    const documents = await listObjectDocuments(db, request.user, objectId);
    return reply.render(`${views}/upload`, {
      ...documentTexts(request),
      object,
      ...uploadKindChoices(documents, stateKey(object.state)),
      values,
      errors,
      titleMax: TITLE_MAX,
      limitMb: mebibytes(config.uploadLimitBytes),
    });
  }

  fastify.get('/objects/:id/documents/new', { config: edit }, async (request, reply) => {
    const { id } = parseParams(objectParams, request.params);
    const { kind } = newQuery.parse(request.query ?? {});
    return renderUpload(request, reply, id, { kind: kind ?? '', title: '' });
  });

  fastify.post('/objects/:id/documents', { config: edit }, async (request, reply) => {
    const { id } = parseParams(objectParams, request.params);
    await requireUploadableObject(db, request.user, id);
    let upload;
    try {
      upload = await readDocumentUpload(request, store, config.uploadLimitBytes);
    } catch (error) {
      const refusal = uploadRefusal(error, config.uploadLimitBytes);
      if (refusal) return renderUpload(request, reply.status(refusal.status), id, { kind: '', title: '' }, refusal.errors);
      throw error;
    }
    const values = { kind: upload.kind ?? '', title: upload.title ?? '' };
    try {
      await uploadDocumentPair({ db, store, jobs: fastify.deps.jobs }, request.user, id, upload, { requestId: request.id });
    } catch (error) {
      if (error instanceof AppError && error.code === 'VALIDATION_FAILED') {
        return renderUpload(request, reply.status(422), id, values, (error.details as { fields: FieldError[] }).fields);
      }
      throw error;
    }
    fastify.deps.documentChecks?.wake();
    request.session.flash = 'documents.flash.uploaded';
    // The page's script sends the form itself (to show progress) and goes on to the object page;
    // a redirect it followed would show the one-time notice to the script instead of the person.
    if (request.headers['x-upload-progress'] === '1') return reply.send({ location: `/objects/${id}#documents` });
    return reply.redirect(`/objects/${id}#documents`, 303);
  });

  fastify.get('/documents/files/:fileId', { config: read }, async (request, reply) => {
    const { fileId } = parseParams(fileParams, request.params);
    const file = await getDocumentFile(db, request.user, fileId);
    const object = await getObject(db, request.user, file.objectId);
    const report = await getDocumentReport(db, request.user, fileId);
    return reply.render(`${views}/file`, { ...documentTexts(request), file, object, raw: rawReport(report) });
  });

  fastify.get('/documents/files/:fileId/download', { config: read }, async (request, reply) => {
    const { fileId } = parseParams(fileParams, request.params);
    return sendDownload(reply, await openDocumentFile(db, store, request.user, fileId));
  });

  fastify.get('/documents/kinds', { config: { access: 'signed_in' } }, async (request, reply) => {
    return reply.render(`${views}/kinds`, {
      ...documentTexts(request),
      kinds: DOCUMENT_KINDS,
      states: stateRequirements(),
    });
  });

  fastify.get('/admin/fixity', { config: status }, async (request, reply) => {
    const overview = await fixityOverview(db, request.user);
    return reply.render(`${views}/fixity`, { ...documentTexts(request), overview });
  });

  fastify.post('/admin/fixity/run', { config: status }, async (request, reply) => {
    const result = await requestFixityCheck(db, store, request.user);
    request.session.flash = result.problems.length === 0 ? 'documents.flash.fixity_ok' : 'documents.flash.fixity_problems';
    return reply.redirect('/admin/fixity', 303);
  });
}
