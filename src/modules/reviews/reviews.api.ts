/**
 * The reviews module's JSON API: submitting an object for review, the service integrator's queue,
 * comments and decisions, and the public check of an issued document — the same service functions
 * (reviews.service.ts) with the same permissions as the pages, documented by OpenAPI.
 */
import type { FastifySchema } from 'fastify';
import { AppError } from '../../errors.ts';
import { access, iso, isoOrNull, jsonApiRoutes, requestContext } from '../../web/api/json-api.ts';
import { bilingualName, day, errors, instant, nullableInstant, nullableText, object, READ_ERRORS, text, WRITE_ERRORS } from '../../web/api/json-schemas.ts';
import { objectIdParams } from '../objects/objects.api.ts';
import {
  addReviewComment,
  type CaseSummary,
  getReviewCase,
  listReviewCases,
  QUEUE_FILTERS,
  type QueueFilter,
  submitForReview,
} from './reviews.service.ts';
import { decideReviewCase } from './review-decisions.service.ts';
import { verifyIssuedDocument } from './issued-documents.service.ts';
import { VERIFY_LIMIT } from './reviews.web.ts';

const reviewCaseSchema = object({
  id: text,
  number: text,
  objectId: text,
  objectName: bilingualName,
  organization: object({ id: text, bin: text, nameKk: text, nameRu: text }),
  kind: { enum: ['registration', 'update'] },
  objectVersion: { type: 'integer' },
  status: { enum: ['open', 'returned', 'approved'] },
  submittedAt: instant,
  submittedByName: text,
  dueAt: instant,
  takenById: nullableText,
  takenByName: nullableText,
  decidedAt: nullableInstant,
  decidedByName: nullableText,
  timeliness: { enum: ['on_time', 'due_today', 'overdue', 'decided_on_time', 'decided_late'] },
  deadline: { type: ['object', 'null'] },
});
const reviewCommentSchema = object({ id: text, targetType: { enum: ['field', 'document', 'general'] }, target: nullableText, body: text, authorName: text, createdAt: instant });

function caseJson(item: CaseSummary) {
  return { ...item, submittedAt: iso(item.submittedAt), dueAt: iso(item.dueAt), decidedAt: isoOrNull(item.decidedAt) };
}

export const reviewsApiSchemas = {
  submitObject: {
    summary: 'Submit the object for review by the service integrator',
    description:
      'Opens a review case due 5 working days later (003 §8), with the submission frozen as it is now. 422: the object is not complete; ' +
      'details.fields has one error per gap with field "submission": rule "missing_field" (params.field, a passport path) or "missing_document" (params.documentKind).',
    tags: ['reviews'],
    params: objectIdParams,
    response: { 201: reviewCaseSchema, ...errors(...WRITE_ERRORS, 404, 409) },
  },

  listReviewCases: {
    summary: "The service integrator's queue of review cases",
    tags: ['reviews'],
    querystring: { type: 'object', additionalProperties: false, properties: { filter: { enum: [...QUEUE_FILTERS], default: 'open' } } },
    response: { 200: object({ items: { type: 'array', items: reviewCaseSchema } }), ...errors(...READ_ERRORS) },
  },

  getReviewCase: {
    summary: 'A review case with the submission as it was frozen, and its comments',
    tags: ['reviews'],
    params: objectIdParams,
    response: {
      200: {
        ...reviewCaseSchema,
        required: [...reviewCaseSchema.required, 'snapshot', 'comments', 'decisionNote', 'objectChangedSince', 'accountCode', 'issuedDocumentNumber'],
        properties: {
          ...reviewCaseSchema.properties,
          snapshot: { type: 'object', description: 'The submission as frozen: version, passport, state, organization, documents (file ids and SHA-256).' },
          comments: { type: 'array', items: reviewCommentSchema },
          decisionNote: nullableText,
          objectChangedSince: { type: 'boolean', description: 'The owner has changed the object since this submission.' },
          accountCode: nullableText,
          issuedDocumentNumber: nullableText,
        },
      },
      ...errors(...READ_ERRORS, 404),
    },
  },

  commentReviewCase: {
    summary: 'Comment on a field, a document, or the submission as a whole',
    description: 'target: "general", "field:<passport path>" or "document:<document kind>".',
    tags: ['reviews'],
    params: objectIdParams,
    body: object({ target: { type: 'string', maxLength: 300 }, body: { type: 'string', maxLength: 8000 } }),
    response: { 201: reviewCommentSchema, ...errors(...WRITE_ERRORS, 404, 409) },
  },

  decideReviewCase: {
    summary: 'Return the case for completion, or approve it',
    description: 'Approval assigns the account code on the first approval (kept for life) and issues the extract, verifiable at /api/verify.',
    tags: ['reviews'],
    params: objectIdParams,
    body: { ...object({ decision: { enum: ['return', 'approve'] }, note: { type: 'string', maxLength: 8000 } }), required: ['decision'] },
    response: {
      200: object({ caseId: text, status: { enum: ['returned', 'approved'] }, accountCode: nullableText, issuedDocument: { type: ['object', 'null'] } }),
      ...errors(...WRITE_ERRORS, 404, 409),
    },
  },

  verifyDocument: {
    summary: 'Verify an issued document by its number and the owner BIN (002)',
    description: 'Public and rate-limited. A match answers the document; anything else answers 404 NOT_FOUND, the same whichever of the two was wrong.',
    tags: ['verification'],
    querystring: { type: 'object', additionalProperties: false, required: ['number', 'bin'], properties: { number: { type: 'string', maxLength: 100 }, bin: { type: 'string', maxLength: 40 } } },
    response: {
      200: object({ number: text, issuedOn: day, accountCode: text, ownerBin: text, approvedByName: text, objectName: bilingualName, ownerName: bilingualName }),
      ...errors(404, 429),
    },
  },
} satisfies Record<string, FastifySchema>;

export default jsonApiRoutes('portal-reviews-api', async function reviewsApi(fastify) {
  const { db, config, jobs } = fastify.deps;
  const schemas = reviewsApiSchemas;

  const reviewDeps = { db, jobs, baseUrl: config.baseUrl, accountCodePrefix: config.accountCodePrefix };

  fastify.post<{ Params: { id: string } }>('/api/objects/:id/submit', { config: access('objects.edit'), schema: schemas.submitObject }, async (request, reply) =>
    reply.code(201).send(caseJson(await submitForReview(reviewDeps, request.user, request.params.id, requestContext(request)))),
  );

  fastify.get<{ Querystring: { filter: QueueFilter } }>('/api/review-cases', { config: access('reviews.read'), schema: schemas.listReviewCases }, async (request) => ({
    items: (await listReviewCases(db, request.user, request.query.filter)).map(caseJson),
  }));

  fastify.get<{ Params: { id: string } }>('/api/review-cases/:id', { config: access('reviews.read'), schema: schemas.getReviewCase }, async (request) => {
    const { snapshot, comments, decisionNote, objectChangedSince, accountCode, issuedDocument, organizations: _organizations, ...summary } = await getReviewCase(db, request.user, request.params.id);
    return {
      ...caseJson(summary),
      snapshot,
      comments: comments.map((c) => ({ ...c, createdAt: iso(c.createdAt) })),
      decisionNote,
      objectChangedSince,
      accountCode,
      issuedDocumentNumber: issuedDocument?.number ?? null,
    };
  });

  fastify.post<{ Params: { id: string }; Body: { target: string; body: string } }>(
    '/api/review-cases/:id/comments',
    { config: access('reviews.decide'), schema: schemas.commentReviewCase },
    async (request, reply) => {
      const comment = await addReviewComment(db, request.user, request.params.id, request.body, requestContext(request));
      return reply.code(201).send({ ...comment, createdAt: iso(comment.createdAt) });
    },
  );

  fastify.post<{ Params: { id: string }; Body: { decision: string; note?: string } }>(
    '/api/review-cases/:id/decision',
    { config: access('reviews.decide'), schema: schemas.decideReviewCase },
    async (request) => decideReviewCase(reviewDeps, request.user, request.params.id, request.body, requestContext(request)),
  );

  fastify.get<{ Querystring: { number: string; bin: string } }>(
    '/api/verify',
    { config: { access: 'public', rateLimit: VERIFY_LIMIT }, schema: schemas.verifyDocument },
    async (request) => {
      const document = await verifyIssuedDocument(db, request.query.number, request.query.bin);
      if (!document) throw new AppError('NOT_FOUND', 'no document with this number and BIN exists');
      const { id: _id, ...shown } = document;
      return shown;
    },
  );
});
