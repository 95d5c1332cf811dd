/**
 * The object's page: the passport by section, lifecycle, duties, required documents, the review and
 * its comments. It composes the objects, documents and reviews modules, so it lives above them. The
 * forms shown on it (a lifecycle move, a report of outdated information) post here, so that a
 * refusal shows the page again with the values typed and the errors.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FieldError } from '../../errors.ts';
import { conflictDetails, fieldErrors, parseParams, requireUser } from '../../web/route-helpers.ts';
import { toAlmatyDate } from '../../modules/calendar/working-days.ts';
import { listObjectDocuments } from '../../modules/documents/documents.service.ts';
import { documentTexts } from '../../modules/documents/documents.view.ts';
import { MOVES, stateKey } from '../../modules/objects/lifecycle.ts';
import {
  getObject,
  objectPageStamp,
  recordLifecycleMove,
  reportOutdatedInformation,
  REPORT_DESCRIPTION_MAX,
} from '../../modules/objects/objects.service.ts';
import { listObjectVersions } from '../../modules/objects/versions.service.ts';
import { UPDATE_DUTY_WORKING_DAYS } from '../../modules/objects/update-duty.ts';
import { passportSections, textsFor } from '../../modules/objects/objects.view.ts';
import { commentsByTarget, getObjectReview } from '../../modules/reviews/reviews.service.ts';

const views = '/pages/object-page/views';
const read = { access: { permission: 'objects.read' } } as const;
const edit = { access: { permission: 'objects.edit' } } as const;
const report = { access: { permission: 'objects.report_outdated' } } as const;

const idParams = z.object({ id: z.guid() });
const moveForm = z.object({ move: z.string().default(''), occurredOn: z.string().default('') });
const reportForm = z.object({ description: z.string().default(''), detectedOn: z.string().default('') });

export default async function objectPageWeb(fastify: FastifyInstance): Promise<void> {
  const { db, pageCache } = fastify.deps;

  /**
   * The object's page. Shown plain (not again with a form's errors), its body comes from the page
   * cache while nothing it shows has changed: the stamp is read first, so a page rendered while a
   * change commits is kept under the older stamp.
   */
  async function renderObject(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    extra: { errors?: FieldError[]; moveValues?: Record<string, string>; reportValues?: Record<string, string> } = {},
  ): Promise<FastifyReply> {
    const actor = requireUser(request);
    // One instant for the key and the page: deadlines are computed for the day the key names.
    const now = new Date();
    const day = toAlmatyDate(now);
    const plain = extra.errors === undefined && extra.moveValues === undefined && extra.reportValues === undefined;
    const key = plain ? `object|${id}|${await objectPageStamp(db, actor, id, request.session.objectPage)}|${request.language}|${actor.role}|${day}` : null;
    const cached = key === null ? undefined : pageCache.get(key);
    if (cached) return reply.renderPage(cached.title, cached.body);

    const object = await getObject(db, actor, id, { now });
    const versions = await listObjectVersions(db, actor, id);
    const documents = await listObjectDocuments(db, actor, id, object);
    const review = await getObjectReview(db, actor, id, { now }, object);
    const texts = textsFor(request);
    const page = {
      title: texts.objectName({ kk: object.passport.name.full.kk, ru: object.passport.name.full.ru }),
      body: reply.renderFragment(`${views}/detail-body`, {
        ...texts,
        documents,
        documentTexts: documentTexts(request),
        review,
        reviewComments: commentsByTarget(review),
        // With a trust store, a submission must carry the staff member's ЭЦП (000 §5.4).
        signingRequired: fastify.deps.config.pki !== null,
        object,
        versions,
        sections: passportSections(object.passport),
        moveNeeds: Object.fromEntries(object.availableMoves.map((move) => [move, MOVES[move].requiredDocumentKinds])),
        stateKey: stateKey(object.state),
        errors: extra.errors ?? [],
        moveValues: extra.moveValues ?? { move: object.availableMoves[0] ?? '', occurredOn: day },
        reportValues: extra.reportValues ?? { description: '', detectedOn: day },
        reportMax: REPORT_DESCRIPTION_MAX,
        workingDays: UPDATE_DUTY_WORKING_DAYS,
      }),
    };
    if (key !== null) pageCache.set(key, page);
    return reply.renderPage(page.title, page.body);
  }

  fastify.get('/objects/:id', { config: { ...read, readWithSession: { objectPage: 'id' } } }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const page = await renderObject(request, reply, id);
    // 004 §16.4: the read is registered once the access check inside renderObject let it through.
    fastify.deps.accessLog.record({ actor: request.user ?? null, kind: 'object_page', entityId: id, objectId: id, requestId: request.id });
    return page;
  });

  fastify.post('/objects/:id/moves', { config: edit }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const values = moveForm.parse(request.body ?? {});
    try {
      await recordLifecycleMove(db, request.user, id, values, { requestId: request.id });
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return renderObject(request, reply.status(422), id, { errors, moveValues: values });
    }
    request.session.flash = 'objects.flash.moved';
    return reply.redirect(`/objects/${id}#lifecycle`, 303);
  });

  fastify.post('/objects/:id/reports', { config: report }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const values = reportForm.parse(request.body ?? {});
    try {
      await reportOutdatedInformation(db, request.user, id, values, { requestId: request.id });
    } catch (error) {
      const errors = fieldErrors(error);
      if (errors) return renderObject(request, reply.status(422), id, { errors, reportValues: values });
      if (conflictDetails(error)?.reason === 'object_terminated') {
        request.session.flash = 'objects.flash.read_only';
        return reply.redirect(`/objects/${id}`, 303);
      }
      throw error;
    }
    request.session.flash = 'objects.flash.reported';
    return reply.redirect(`/objects/${id}#duties`, 303);
  });
}
