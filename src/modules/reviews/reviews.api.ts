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
  submissionManifest,
  submitForReview,
} from './reviews.service.ts';
import { signatureCheckerFor } from '../signatures/signature-checker.ts';
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
  submissionManifest: {
    summary: 'The manifest to sign for submitting the object as it is now (000 §5.4)',
    description:
      'Exactly the bytes to sign (RFC 8785 JSON): the object, its passport version and SHA-256, every accepted document file with its SHA-256, ' +
      'a fresh submission id and the time. Sign them with the SIGN key of your organization\'s employee certificate and send the CMS with the submission within 15 minutes. ' +
      'Refused as the submission would be (422 incomplete, 409 case open).',
    tags: ['reviews'],
    params: objectIdParams,
    response: { 200: { type: 'object', additionalProperties: true, description: 'The manifest (kind "submission").' }, ...errors(...READ_ERRORS, 404, 409, 422) },
  },

  submitObject: {
    summary: 'Submit the object for review by the service integrator',
    description:
      'Opens a review case due 5 working days later (003 §8), with the submission frozen as it is now. 422: the object is not complete; ' +
      'details.fields has one error per gap with field "submission": rule "missing_field" (params.field, a passport path) or "missing_document" (params.documentKind). ' +
      'When the portal has a trust store the submission must be signed (000 §5.4): signature is the CMS (base64) over the manifest from ' +
      'GET /api/objects/{id}/submission-manifest, sent back as manifest (may be left out when the CMS is attached). A refusal is 422 with field "signature" and rule ' +
      'signature_required, signature_<refusal> (signature_bad_signature, signature_content_mismatch, signature_unknown_ca, signature_expired, signature_not_yet_valid, ' +
      'signature_revoked, signature_revocation_unavailable, signature_wrong_key_usage, signature_unsupported_algorithm, signature_malformed), signature_manifest_invalid, ' +
      'signature_manifest_stale (the object changed, or the manifest is older than 15 minutes or used), signature_other_organization (the certificate\'s BIN is not the owner\'s) ' +
      'or signature_other_person (the certificate\'s IIN is not the account\'s).',
    tags: ['reviews'],
    params: objectIdParams,
    body: { ...object({ signature: { type: 'string', maxLength: 200000 }, manifest: { type: 'string', maxLength: 200000 } }), required: [] },
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
  const submitDeps = { db, baseUrl: config.baseUrl, signing: signatureCheckerFor(config.pki) };

  fastify.get<{ Params: { id: string } }>('/api/objects/:id/submission-manifest', { config: access('objects.edit'), schema: schemas.submissionManifest }, async (request, reply) =>
    reply.type('application/json; charset=utf-8').header('cache-control', 'no-store').send(Buffer.from((await submissionManifest(db, request.user, request.params.id, requestContext(request))).bytes)),
  );

  fastify.post<{ Params: { id: string }; Body: { signature?: string; manifest?: string } | undefined }>('/api/objects/:id/submit', {
    config: access('objects.edit'),
    schema: schemas.submitObject,
    // An unsigned submission may come without a body at all (no trust store), as it always could.
    preValidation: async (request) => {
      request.body ??= {};
    },
  }, async (request, reply) =>
    reply.code(201).send(caseJson(await submitForReview(submitDeps, request.user, request.params.id, requestContext(request), { signature: request.body?.signature, manifest: request.body?.manifest }))),
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
