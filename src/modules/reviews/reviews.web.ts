import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, type FieldError } from '../../errors.ts';
import { loadCalendarData } from '../calendar/calendar.service.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { documentTexts } from '../documents/documents.view.ts';
import { passportSections, textsFor } from '../objects/objects.view.ts';
import { openIssuedDocument, openVerifiedDocument, verifyIssuedDocument } from './issued-documents.service.ts';
import { decideReviewCase } from './review-decisions.service.ts';
import {
  addReviewComment,
  COMMENT_MAX,
  commentableFields,
  getCaseSignatureFiles,
  getReviewCase,
  listReviewCases,
  NOTE_MAX,
  QUEUE_FILTERS,
  REVIEW_WORKING_DAYS,
  submissionManifest,
  submitForReview,
  takeReviewCase,
} from './reviews.service.ts';
import { signatureCheckerFor } from '../signatures/signature-checker.ts';
import { caseErrorText, replyWithExtract, slaLabels } from './reviews.view.ts';
import { slaCases } from './sla.service.ts';
import { buildSlaReport, slaChartSvg, slaReportCsv } from './sla-report.ts';
import { fieldErrors, parseParams } from '../../web/route-helpers.ts';

const views = '/modules/reviews/views';
const read = { access: { permission: 'reviews.read' } } as const;
const decide = { access: { permission: 'reviews.decide' } } as const;
/** Verification is public: limited per address so that numbers cannot be tried in bulk. */
export const VERIFY_LIMIT = { max: 20, timeWindow: '1 minute' } as const;

const idParams = z.object({ id: z.guid() });
const queueQuery = z.object({ filter: z.enum(QUEUE_FILTERS).catch('open') });
const commentForm = z.object({ target: z.string().max(300).default(''), body: z.string().max(COMMENT_MAX * 2).default('') });
/** The signed submission's fields (empty when no trust store is set and the page does not sign). */
const signedForm = z.object({ signature: z.string().max(200_000).default(''), manifest: z.string().max(200_000).default('') });
const decisionForm = z.object({ decision: z.string().max(20).default(''), note: z.string().max(NOTE_MAX * 2).default('') });
const verifyQuery = z.object({ number: z.string().max(100).optional().catch(undefined), bin: z.string().max(40).optional().catch(undefined) });
const monthQuery = z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/).optional().catch(undefined) });

export default async function reviewsWeb(fastify: FastifyInstance): Promise<void> {
  const { db, config, store, jobs } = fastify.deps;
  const deps = { db, jobs, baseUrl: config.baseUrl, accountCodePrefix: config.accountCodePrefix };
  const submitDeps = { db, baseUrl: config.baseUrl, signing: signatureCheckerFor(config.pki) };

  fastify.get('/objects/:id/submission-manifest', { config: { access: { permission: 'objects.edit' } } }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const manifest = await submissionManifest(db, request.user, id);
    // Exactly the bytes to sign: no re-encoding on the way.
    return reply.type('application/json; charset=utf-8').header('cache-control', 'no-store').send(Buffer.from(manifest.bytes));
  });

  fastify.post('/objects/:id/submit', { config: { access: { permission: 'objects.edit' } } }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const signed = signedForm.parse(request.body ?? {});
    try {
      await submitForReview(submitDeps, request.user, id, { requestId: request.id }, { signature: signed.signature || null, manifest: signed.manifest || null });
      request.session.flash = 'reviews.flash.submitted';
    } catch (error) {
      const errors = fieldErrors(error);
      const refusal = errors?.find((e) => e.field === 'signature');
      if (refusal) request.session.flash = `reviews.signature_refusals.${refusal.rule}`;
      else if (errors) request.session.flash = 'reviews.flash.incomplete';
      else if (error instanceof AppError && error.code === 'CONFLICT') request.session.flash = 'reviews.flash.already_open';
      else throw error;
    }
    return reply.redirect(`/objects/${id}#review`, 303);
  });

  fastify.get('/review/cases', { config: read }, async (request, reply) => {
    const { filter } = queueQuery.parse(request.query ?? {});
    const cases = await listReviewCases(db, request.user, filter);
    return reply.render(`${views}/queue`, { ...textsFor(request), cases, filter, filters: QUEUE_FILTERS, workingDays: REVIEW_WORKING_DAYS });
  });

  async function renderCase(request: FastifyRequest, reply: FastifyReply, id: string, extra: { errors?: FieldError[]; commentValues?: Record<string, string>; decisionValues?: Record<string, string> } = {}) {
    const detail = await getReviewCase(db, request.user, id);
    const texts = textsFor(request);
    return reply.render(`${views}/case`, {
      ...texts,
      ...documentTexts(request),
      errorText: caseErrorText(request),
      detail,
      sections: passportSections(detail.snapshot.passport),
      fieldTargets: commentableFields(detail.snapshot),
      errors: extra.errors ?? [],
      commentValues: extra.commentValues ?? { target: 'general', body: '' },
      decisionValues: extra.decisionValues ?? { decision: '', note: '' },
      commentMax: COMMENT_MAX,
      noteMax: NOTE_MAX,
    });
  }

  fastify.get('/review/cases/:id', { config: read }, async (request, reply) => renderCase(request, reply, parseParams(idParams, request.params).id));

  fastify.post('/review/cases/:id/take', { config: decide }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    await takeReviewCase(db, request.user, id, { requestId: request.id });
    request.session.flash = 'reviews.flash.taken';
    return reply.redirect(`/review/cases/${id}`, 303);
  });

  fastify.post('/review/cases/:id/comments', { config: decide }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const values = commentForm.parse(request.body ?? {});
    try {
      await addReviewComment(db, request.user, id, values, { requestId: request.id });
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return renderCase(request, reply.status(422), id, { errors, commentValues: values });
    }
    request.session.flash = 'reviews.flash.commented';
    return reply.redirect(`/review/cases/${id}#comments`, 303);
  });

  fastify.post('/review/cases/:id/decision', { config: decide }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const values = decisionForm.parse(request.body ?? {});
    try {
      const result = await decideReviewCase(deps, request.user, id, values, { requestId: request.id });
      request.session.flash = result.status === 'approved' ? 'reviews.flash.approved' : 'reviews.flash.returned';
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return renderCase(request, reply.status(422), id, { errors, decisionValues: values });
    }
    return reply.redirect(`/review/cases/${id}`, 303);
  });

  fastify.get('/review/cases/:id/signatures/submission/manifest.json', { config: read }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const files = await getCaseSignatureFiles(db, request.user, id, 'submission');
    return reply.type('application/json; charset=utf-8').header('content-disposition', `attachment; filename="${files.number}-manifest.json"`).send(files.manifest);
  });

  fastify.get('/review/cases/:id/signatures/submission/signature.p7s', { config: read }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    const files = await getCaseSignatureFiles(db, request.user, id, 'submission');
    return reply.type('application/pkcs7-signature').header('content-disposition', `attachment; filename="${files.number}-manifest.json.p7s"`).send(files.cms);
  });

  fastify.get('/issued-documents/:id/download', { config: { access: { permission: 'objects.read' } } }, async (request, reply) => {
    const { id } = parseParams(idParams, request.params);
    return replyWithExtract(reply, () => openIssuedDocument(db, store, request.user, id));
  });

  fastify.get('/verify', { config: { access: 'public', rateLimit: VERIFY_LIMIT } }, async (request, reply) => {
    const query = verifyQuery.parse(request.query ?? {});
    const asked = query.number !== undefined || query.bin !== undefined;
    const errors: FieldError[] = [];
    if (asked && !query.number?.trim()) errors.push({ field: 'number', rule: 'required' });
    if (asked && !query.bin?.trim()) errors.push({ field: 'bin', rule: 'required' });
    const document = asked && errors.length === 0 ? await verifyIssuedDocument(db, query.number ?? '', query.bin ?? '') : null;
    return reply.status(errors.length > 0 ? 422 : 200).render(`${views}/verify`, {
      ...textsFor(request),
      values: { number: query.number ?? '', bin: query.bin ?? '' },
      errors,
      asked: asked && errors.length === 0,
      document,
    });
  });

  fastify.get('/verify/extract.pdf', { config: { access: 'public', rateLimit: VERIFY_LIMIT } }, async (request, reply) => {
    const query = verifyQuery.parse(request.query ?? {});
    return replyWithExtract(reply, () => openVerifiedDocument(db, store, query.number ?? '', query.bin ?? ''));
  });

  async function slaReport(request: FastifyRequest) {
    const { month } = monthQuery.parse(request.query ?? {});
    const now = new Date();
    const chosen = month ?? toAlmatyDate(now).slice(0, 7);
    const cases = await slaCases(db, request.user);
    const calendar = await loadCalendarData(db);
    return { month: chosen, report: buildSlaReport(cases, chosen, calendar, now) };
  }

  fastify.get('/review/reports/sla', { config: read }, async (request, reply) => {
    const { month, report } = await slaReport(request);
    return reply.render(`${views}/sla`, { ...textsFor(request), month, report, chart: slaChartSvg(report, slaLabels(request)) });
  });

  fastify.get('/review/reports/sla.csv', { config: read }, async (request, reply) => {
    const { month, report } = await slaReport(request);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="sla-${month}.csv"`)
      .send(slaReportCsv(report, slaLabels(request)));
  });
}
