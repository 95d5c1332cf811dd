/**
 * The objects module's JSON API: registering, reading and updating objects, lifecycle moves,
 * reports, versions, update duties and the import file — the same service functions
 * (objects.service.ts) with the same permissions as the pages, documented by OpenAPI. The shared
 * request checks (two layers, as the pages check their forms) are src/web/api/json-api.ts's.
 */
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest, FastifySchema } from 'fastify';
import { OBJECT_REVIEW_STATUSES } from '../../db/database.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { toFieldErrors } from '../../schema-registry.ts';
import { access, bodyShapeCheck, iso, isoOrNull, jsonApiRoutes, requestContext, validationFailed } from '../../web/api/json-api.ts';
import {
  bilingualName,
  count,
  day,
  errors,
  IMPORT_SCHEMA_ID,
  instant,
  nullableDay,
  nullableInstant,
  nullableText,
  object,
  organizationRef,
  PASSPORT_SCHEMA_ID,
  READ_ERRORS,
  text,
  WRITE_ERRORS,
} from '../../web/api/json-schemas.ts';
import { DOCUMENT_KIND_IDS } from './document-kinds.ts';
import { LIFECYCLE_STAGES, LIFECYCLE_STEPS, MOVE_IDS } from './lifecycle.ts';
import { DUTY_PAGE_SIZE, listDuties, MAX_DUTY_PAGE_SIZE } from './duties.service.ts';
import {
  createObject,
  createObjects,
  getObject,
  type ObjectInput,
  recordLifecycleMove,
  REPORT_DESCRIPTION_MAX,
  reportOutdatedInformation,
  type SavedObject,
  updateObject,
} from './objects.service.ts';
import { DUTY_SOURCES, DUTY_STATUS_FILTERS, type DutyStatusFilter, type DutyView } from './update-duty.ts';
import { compareObjectVersions, listObjectVersions, type VersionSummary } from './versions.service.ts';

/** The import file's shape (layer 1), for the JSON body and the uploaded file alike. */
const checkImportShape = bodyShapeCheck(IMPORT_SCHEMA_ID);

// ---------------------------------------------------------------------------------------------
// Schemas of requests and answers (OpenAPI documents these)

const PASSPORT = { $ref: `${PASSPORT_SCHEMA_ID}#` } as const;
const OBJECT_INPUT = { $ref: `${IMPORT_SCHEMA_ID}#/definitions/object` } as const;
const IMPORT_FILE_SCHEMA = { $ref: `${IMPORT_SCHEMA_ID}#` } as const;

/** An object's id in the path; the documents' and reviews' routes under /api/objects/:id take it too. */
export const objectIdParams = object({ id: { type: 'string', description: "The object's id (a UUID)." } });

const lifecycleState = object({ stage: { enum: [...LIFECYCLE_STAGES] }, step: { enum: [...LIFECYCLE_STEPS, null] } }, 'A stage, and its step during creation and development (004 §3.7, §9).');

const deadline = {
  ...object({ overdue: { type: 'boolean' }, dueToday: { type: 'boolean' }, workingDaysLeft: count, workingDaysOverdue: count }),
  type: ['object', 'null'],
  description: 'Working days left or overdue on the Kazakh calendar; null once fulfilled.',
};

const duty = object({
  id: text,
  objectId: text,
  objectName: bilingualName,
  organization: organizationRef,
  source: { enum: [...DUTY_SOURCES] },
  description: { ...nullableText, description: "For reviewer_report: the reviewer's text; for lifecycle_move: the move." },
  changedOn: day,
  dueOn: day,
  openedAt: instant,
  openedByName: nullableText,
  fulfilledAt: nullableInstant,
  fulfilledByName: nullableText,
  fulfilledVersion: { type: ['integer', 'null'] },
  status: { enum: ['open', 'overdue', 'fulfilled'] },
  onTime: { type: ['boolean', 'null'], description: 'Fulfilled on or before its due day; null while open.' },
  deadline,
});

const passportChange = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  description: 'One changed value: before or after is absent when the value was or is absent.',
  properties: { path: { type: 'string', description: "Dotted path: 'contacts.0.phone'." }, before: {}, after: {} },
};

const versionSummary = object({
  version: { type: 'integer', minimum: 1 },
  stage: { enum: [...LIFECYCLE_STAGES] },
  step: nullableText,
  informationChangedOn: day,
  changedAt: instant,
  changedByName: nullableText,
  changeCount: { ...count, description: 'Values changed from the previous version (all of them for version 1).' },
});

const savedObject = object({
  id: text,
  version: { type: 'integer', minimum: 1 },
  dueOn: { ...day, description: 'The due day of the update duty this save fulfilled: 10 working days after informationChangedOn.' },
  onTime: { type: 'boolean', description: 'The save came within the 10 working days (003 §9).' },
});

const objectDetail = object({
  id: text,
  organization: organizationRef,
  version: { type: 'integer', minimum: 1, description: 'Send it back as expectedVersion to update.' },
  passport: PASSPORT,
  state: lifecycleState,
  readOnly: { type: 'boolean', description: 'Terminated objects are read-only (004 §19).' },
  commissionedOn: nullableDay,
  terminatedOn: nullableDay,
  reviewStatus: { enum: [...OBJECT_REVIEW_STATUSES] },
  accountCode: nullableText,
  createdAt: instant,
  updatedAt: instant,
  timeline: {
    type: 'array',
    items: object({ id: text, move: { enum: [...MOVE_IDS] }, from: lifecycleState, to: lifecycleState, occurredOn: day, recordedAt: instant, recordedByName: nullableText }),
  },
  availableMoves: { type: 'array', items: { enum: [...MOVE_IDS] }, description: 'Moves defined from the current state; documents and dates are checked when one is recorded.' },
  duties: object({ open: { type: 'array', items: duty }, closed: { type: 'array', items: duty } }),
  requiredDocuments: { type: 'array', items: object({ kind: { enum: [...DOCUMENT_KIND_IDS] }, status: { enum: ['not_placed', 'accepted', 'checking', 'rejected'] } }) },
  warranty: {
    ...object({ commissionedOn: day, endsOn: day, inForce: { type: 'boolean' } }),
    type: ['object', 'null'],
    description: '12 months from the latest commissioning (004 §16.9); null before any.',
  },
  funding: object(
    {
      supported: { type: 'boolean' },
      missing: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          properties: { type: { enum: ['field', 'document', 'lifecycle'] }, field: text, documentKind: text, code: text },
        },
      },
    },
    'Whether operation-stage spending may be supported (004 §18), and what is missing.',
  ),
  organizations: { type: 'object', additionalProperties: organizationRef, description: 'Organizations the passport names, by id.' },
  integratedObjects: { type: 'object', additionalProperties: bilingualName, description: 'Names of the registered objects it integrates with, by id, where visible.' },
});

// ---------------------------------------------------------------------------------------------
// Answers: the services' results as JSON (dates as text)

function dutyJson(view: DutyView) {
  return { ...view, openedAt: iso(view.openedAt), fulfilledAt: isoOrNull(view.fulfilledAt) };
}

function versionJson(version: VersionSummary) {
  return { ...version, changedAt: iso(version.changedAt) };
}

// ---------------------------------------------------------------------------------------------
// The import file

/** The JSON of an uploaded file (the first file of a multipart request). */
async function uploadedJson(request: FastifyRequest): Promise<unknown> {
  const file: MultipartFile | undefined = await request.file();
  if (!file) throw importRejected([{ field: 'file', rule: 'required' }]);
  const content = await file.toBuffer();
  try {
    return JSON.parse(content.toString('utf8')) as unknown;
  } catch {
    throw new AppError('BAD_REQUEST', 'the file is not JSON', { fields: [{ field: 'file', rule: 'invalid_json' }] });
  }
}

interface RowError extends FieldError {
  /** The index of the object in the file's `objects`, from 0. */
  row: number;
}

const ROW_FIELD = /^objects\.(\d+)(?:\.(.*))?$/;

/** Errors named by their path in the file ("objects.2.passport.kind") as rows: { row: 2, field: "passport.kind" }. */
function rowsOf(fields: FieldError[]): RowError[] {
  return fields.flatMap((error) => {
    const match = ROW_FIELD.exec(error.field);
    return match ? [{ ...error, row: Number(match[1]), field: match[2] ?? '' }] : [];
  });
}

/** VALIDATION_FAILED for an import: every error by its path in the file (fields) and, those of an object, by row. */
function importRejected(fields: FieldError[]): AppError {
  return validationFailed(fields, { rows: rowsOf(fields) });
}

/** The service's per-object errors (details.items) with the fields named from the file's root. */
function serviceRowErrors(error: AppError): FieldError[] | null {
  const details = error.details as { items?: Array<{ index: number; fields: FieldError[] }> } | null;
  if (error.code !== 'VALIDATION_FAILED' || !Array.isArray(details?.items)) return null;
  return details.items.flatMap(({ index, fields }) => fields.map((field) => ({ ...field, field: `objects.${index}.${field.field}` })));
}

// ---------------------------------------------------------------------------------------------
// The routes' schemas (the tests check the answers against them)

const IMPORT_DESCRIPTION =
  "Registers every object of the file for the signed-in staff member's organization, or none: when any object is invalid, " +
  'nothing is registered and the answer (422 VALIDATION_FAILED) names every error, with details.rows: [{ row, field, rule, params? }] ' +
  '(row: the index in objects, from 0; field: the path inside that object, as for POST /api/objects) and details.fields ' +
  '(the same errors with their path in the file). Send the file as the JSON body or as a multipart/form-data upload.';

export const objectsApiSchemas = {
  createObject: {
    summary: 'Register an object',
    description:
      "Registers an object of the signed-in staff member's organization, at the start of creation, as version 1. " +
      'The owner (passport.owner_organization_id) is always that organization.',
    tags: ['objects'],
    body: OBJECT_INPUT,
    response: {
      201: {
        ...savedObject,
        description: 'Registered.',
        headers: { location: { type: 'string', description: 'The URL of the new object: /api/objects/{id}.' } },
      },
      ...errors(...WRITE_ERRORS),
    },
  },

  getObject: {
    summary: 'One object',
    description: 'Its passport, lifecycle state and timeline, update duties, required documents, warranty and funding check, as its page shows them.',
    tags: ['objects'],
    params: objectIdParams,
    response: { 200: { ...objectDetail, description: 'The object.' }, ...errors(...READ_ERRORS, 404) },
  },

  updateObject: {
    summary: 'Save a new version of the passport',
    description:
      'The whole passport, with the version it was edited from. When someone saved a newer version meanwhile the answer is ' +
      '409 CONFLICT with details.reason "stale_version" and details.currentVersion; a terminated object is read-only (409, "object_terminated").',
    tags: ['objects'],
    params: objectIdParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['passport', 'informationChangedOn', 'expectedVersion'],
      properties: {
        passport: PASSPORT,
        informationChangedOn: { type: 'string', description: "The day the information changed in reality, 'YYYY-MM-DD' (003 §9)." },
        expectedVersion: { type: 'integer', minimum: 1, description: 'The version the change was made on (version of GET /api/objects/{id}).' },
      },
    },
    response: {
      200: object({
        ...savedObject.properties,
        changes: { type: 'array', items: passportChange },
        fulfilledDutyIds: { type: 'array', items: text, description: 'Open update duties this save fulfilled.' },
      }, 'Saved as the next version, with the values it changed.'),
      ...errors(...WRITE_ERRORS, 404, 409),
    },
  },

  recordMove: {
    summary: 'Record a lifecycle move',
    description:
      'A move between lifecycle stages and steps (004 §9–19) as it happened in reality; it opens an update duty due in 10 working days. ' +
      'Refusals are 422 with field "move" (document_missing with params.documentKind, not_commissioned, move_not_available, object_terminated) ' +
      'or "occurredOn" (date_invalid, date_in_future, date_before_previous_move, calendar_year_missing).',
    tags: ['objects'],
    params: objectIdParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['move', 'occurredOn'],
      properties: { move: { type: 'string', enum: [...MOVE_IDS] }, occurredOn: { type: 'string', description: "'YYYY-MM-DD'" } },
    },
    response: {
      201: object({ state: lifecycleState, dutyId: text, dueOn: day }, 'The new state and the update duty the move opened.'),
      ...errors(...WRITE_ERRORS, 404, 409),
    },
  },

  reportOutdated: {
    summary: 'Report missing or outdated information',
    description: "The service integrator's report (003 §9): opens an update duty for the owner, due 10 working days after detectedOn.",
    tags: ['objects'],
    params: objectIdParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['description', 'detectedOn'],
      properties: {
        description: { type: 'string', maxLength: REPORT_DESCRIPTION_MAX, description: 'What is missing or out of date.' },
        detectedOn: { type: 'string', description: "The day it was detected, 'YYYY-MM-DD'." },
      },
    },
    response: { 201: object({ dutyId: text, dueOn: day }, 'The update duty the report opened.'), ...errors(...WRITE_ERRORS, 404, 409) },
  },

  listVersions: {
    summary: "The passport's versions",
    description: 'Every saved version, the latest first.',
    tags: ['objects'],
    params: objectIdParams,
    response: { 200: object({ items: { type: 'array', items: versionSummary } }, 'The versions.'), ...errors(...READ_ERRORS, 404) },
  },

  compareVersions: {
    summary: 'Compare two versions',
    description: 'The values changed from version `from` to version `to`, field by field, in the order of the passport schema.',
    tags: ['objects'],
    params: object({ id: objectIdParams.properties.id, from: { type: 'integer', minimum: 1 }, to: { type: 'integer', minimum: 1 } }),
    response: {
      200: object({
        objectId: text,
        objectName: bilingualName,
        from: versionSummary,
        to: versionSummary,
        changes: { type: 'array', items: passportChange },
        organizations: { type: 'object', additionalProperties: organizationRef, description: 'Organizations the two versions name, by id.' },
      }, 'The changes between the two versions.'),
      ...errors(...READ_ERRORS, 404, 422),
    },
  },

  listDuties: {
    summary: 'Update duties',
    description:
      "The 10-working-day update duties (003 §9): staff see their organization's, reviewers, auditors and administrators everyone's " +
      "(or one organization's). Open and overdue ones soonest due first; fulfilled and all latest due first.",
    tags: ['duties'],
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        organization: { type: 'string', format: 'uuid' },
        status: { enum: [...DUTY_STATUS_FILTERS], default: 'open' },
        cursor: { type: 'string', maxLength: 4000, description: 'nextCursor of a page.' },
        limit: { type: 'integer', minimum: 1, maximum: MAX_DUTY_PAGE_SIZE, default: DUTY_PAGE_SIZE },
      },
    },
    response: { 200: object({ items: { type: 'array', items: duty }, nextCursor: nullableText }, 'One page of duties.'), ...errors(400, ...READ_ERRORS, 404, 422) },
  },

  importObjects: {
    summary: 'Import objects, all or nothing',
    description: IMPORT_DESCRIPTION,
    tags: ['objects'],
    body: {
      content: {
        'application/json': { schema: IMPORT_FILE_SCHEMA },
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['file'],
            properties: { file: { type: 'string', contentMediaType: 'application/json', description: 'The import file (schema ObjectImport).' } },
          },
        },
      },
    },
    response: {
      201: object({ objects: { type: 'array', items: savedObject } }, 'Every object registered, in the order of the file.'),
      ...errors(400, ...WRITE_ERRORS, 413, 415),
    },
  },
} satisfies Record<string, FastifySchema>;

// ---------------------------------------------------------------------------------------------
// Routes

interface DutiesQuery {
  organization?: string;
  status: DutyStatusFilter;
  cursor?: string;
  limit: number;
}

export default jsonApiRoutes('portal-objects-api', async function objectsApi(fastify) {
  const { db, config } = fastify.deps;
  const schemas = objectsApiSchemas;

  fastify.post<{ Body: ObjectInput }>('/api/objects', { config: access('objects.edit'), schema: schemas.createObject }, async (request, reply) => {
    const saved = await createObject(db, request.user, request.body, requestContext(request));
    return reply.code(201).header('location', `/api/objects/${saved.id}`).send(saved);
  });

  fastify.get<{ Params: { id: string } }>('/api/objects/:id', { config: access('objects.read'), schema: schemas.getObject }, async (request) => {
    const detail = await getObject(db, request.user, request.params.id, requestContext(request));
    return {
      ...detail,
      createdAt: iso(detail.createdAt),
      updatedAt: iso(detail.updatedAt),
      timeline: detail.timeline.map((entry) => ({ ...entry, recordedAt: iso(entry.recordedAt) })),
      duties: { open: detail.duties.open.map(dutyJson), closed: detail.duties.closed.map(dutyJson) },
    };
  });

  fastify.put<{ Params: { id: string }; Body: ObjectInput & { expectedVersion: number } }>(
    '/api/objects/:id',
    { config: access('objects.edit'), schema: schemas.updateObject },
    async (request) => updateObject(db, request.user, request.params.id, request.body, requestContext(request)),
  );

  fastify.post<{ Params: { id: string }; Body: { move: string; occurredOn: string } }>(
    '/api/objects/:id/moves',
    { config: access('objects.edit'), schema: schemas.recordMove },
    async (request, reply) => reply.code(201).send(await recordLifecycleMove(db, request.user, request.params.id, request.body, requestContext(request))),
  );

  fastify.post<{ Params: { id: string }; Body: { description: string; detectedOn: string } }>(
    '/api/objects/:id/reports',
    { config: access('objects.report_outdated'), schema: schemas.reportOutdated },
    async (request, reply) => reply.code(201).send(await reportOutdatedInformation(db, request.user, request.params.id, request.body, requestContext(request))),
  );

  fastify.get<{ Params: { id: string } }>('/api/objects/:id/versions', { config: access('objects.read'), schema: schemas.listVersions }, async (request) => ({
    items: (await listObjectVersions(db, request.user, request.params.id)).map(versionJson),
  }));

  fastify.get<{ Params: { id: string; from: number; to: number } }>(
    '/api/objects/:id/versions/:from/:to',
    { config: access('objects.read'), schema: schemas.compareVersions },
    async (request) => {
      const comparison = await compareObjectVersions(db, request.user, request.params.id, request.params.from, request.params.to);
      return { ...comparison, from: versionJson(comparison.from), to: versionJson(comparison.to) };
    },
  );

  fastify.get<{ Querystring: DutiesQuery }>('/api/duties', { config: access('objects.read'), schema: schemas.listDuties }, async (request) => {
    const { organization, status, cursor, limit } = request.query;
    const page = await listDuties(db, request.user, { organizationId: organization, status, cursor, limit }, requestContext(request));
    return { ...page, items: page.items.map(dutyJson) };
  });

  fastify.post(
    '/api/imports/objects',
    {
      config: access('objects.edit'),
      schema: schemas.importObjects,
      // The same limit as any upload: a file of many passports is larger than a form.
      bodyLimit: config.uploadLimitBytes,
      // fastify's check of a JSON body is set aside: the handler checks the file by the same
      // schema whichever way it came (an upload is read only there), to answer by row either way.
      attachValidation: true,
    },
    async (request, reply) => {
      const file = request.isMultipart() ? await uploadedJson(request) : request.body;
      if (!checkImportShape(file)) throw importRejected(toFieldErrors(checkImportShape.errors));
      try {
        const saved: SavedObject[] = await createObjects(db, request.user, (file as { objects: ObjectInput[] }).objects, requestContext(request));
        return reply.code(201).send({ objects: saved });
      } catch (error) {
        const fields = error instanceof AppError ? serviceRowErrors(error) : null;
        throw fields ? importRejected(fields) : error;
      }
    },
  );
});
