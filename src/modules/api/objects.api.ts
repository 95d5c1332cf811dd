/**
 * The JSON API for what the registry's pages do: the same service functions (objects.service.ts,
 * registry.service.ts) with the same permissions, answering JSON and documented by OpenAPI
 * (openapi.plugin.ts, which must be registered first).
 *
 * Request bodies are checked in two layers, as the pages check their forms:
 *   1. here, their shape — the route's JSON Schema, never coerced (a "2" stays a string and is
 *      refused), unknown properties refused;
 *   2. in the service, their content: the passport by validatePassport (schemas/
 *      object-passport.schema.json and the rules it cannot express), dates, moves — the same
 *      checks, field paths and rule names as for the pages and the import.
 * Both answer 422 VALIDATION_FAILED with `details.fields: [{ field, rule, params? }]`. The route
 * schemas reference the passport schema by its `$id`, so the document shows exactly what is checked.
 */
import type { MultipartFile } from '@fastify/multipart';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifyRequest, FastifySchema, FastifySchemaCompiler } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, type FieldError } from '../../errors.ts';
import { schemaValidator, toFieldErrors } from '../../schema-registry.ts';
import { type AuthUser, requirePermission, type RouteAccess } from '../../access/permissions.ts';
import { DOCUMENT_KIND_IDS } from '../objects/document-kinds.ts';
import { LIFECYCLE_STAGES, LIFECYCLE_STEPS, MOVE_IDS } from '../objects/lifecycle.ts';
import {
  compareObjectVersions,
  createObject,
  createObjects,
  DUTY_PAGE_SIZE,
  DUTY_SOURCES,
  DUTY_STATUS_FILTERS,
  type DutyStatusFilter,
  type DutyView,
  getObject,
  listDuties,
  listObjectVersions,
  MAX_DUTY_PAGE_SIZE,
  type ObjectInput,
  recordLifecycleMove,
  REPORT_DESCRIPTION_MAX,
  reportOutdatedInformation,
  type SavedObject,
  updateObject,
  type VersionSummary,
} from '../objects/objects.service.ts';
import { OBJECT_KINDS } from '../objects/passport.ts';
import {
  MAX_PAGE_SIZE,
  MAX_QUERY_LENGTH,
  OBJECT_CLASSES,
  REGISTRY_SORTS,
  type RegistryItem,
  REVIEW_STATUSES,
  searchObjects,
} from '../registry/registry.service.ts';
import { REGISTRY_PAGE_SIZE, type RegistryQuery, toFilters } from '../registry/registry.schemas.ts';
import {
  type DocumentFileView,
  type DocumentVersionView,
  getDocumentFile,
  getDocumentReport,
  listObjectDocuments,
  openDocumentFile,
  requireUploadableObject,
  uploadDocumentPair,
} from '../documents/documents.service.ts';
import { readDocumentUpload } from '../documents/upload-parts.ts';
import { sendDownload } from '../documents/documents.view.ts';
import {
  addReviewComment,
  type CaseSummary,
  getReviewCase,
  listReviewCases,
  QUEUE_FILTERS,
  type QueueFilter,
  submitForReview,
} from '../reviews/reviews.service.ts';
import { decideReviewCase } from '../reviews/review-decisions.service.ts';
import { verifyIssuedDocument } from '../reviews/issued-documents.service.ts';
import { VERIFY_LIMIT } from '../reviews/reviews.web.ts';
import { API_ERROR_SCHEMA_ID, IMPORT_SCHEMA_ID, PASSPORT_SCHEMA_ID } from './openapi.plugin.ts';

const IMPORT_FILE = 'object-import.schema.json';

// ---------------------------------------------------------------------------------------------
// Validation of requests

// ajv-formats is CommonJS (see schema-registry.ts).
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * Bodies: layer 1 above. The options are schema-registry's (strict, every error at once, no
 * coercion, no defaults). A passport here is any object: its content is the service's to check
 * (layer 2), which also fills in the owner — so the passport `$id` resolves to just that.
 */
const bodyAjv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(bodyAjv);
bodyAjv.addSchema({ $id: PASSPORT_SCHEMA_ID, type: 'object' });
bodyAjv.addSchema(schemaValidator(IMPORT_FILE).schema as object);

/** Query strings and path parameters are text: numbers and booleans are coerced, as the server's own options do (server-options.ts). */
const requestAjv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, coerceTypes: 'array', useDefaults: true });
addFormats(requestAjv);

function validationFailed(fields: FieldError[], details: Record<string, unknown> = {}): AppError {
  return new AppError('VALIDATION_FAILED', 'request rejected', { fields, ...details });
}

const compileRequestSchema: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  if (httpPart !== 'body') return requestAjv.compile(schema as object);
  const validate = bodyAjv.compile(schema as object);
  return (data: unknown) => (validate(data) ? true : { error: validationFailed(toFieldErrors(validate.errors)) });
};

/** The import file's shape (layer 1), for the JSON body and the uploaded file alike. */
const checkImportShape: ValidateFunction = bodyAjv.getSchema(IMPORT_SCHEMA_ID)!;

// ---------------------------------------------------------------------------------------------
// Schemas of requests and answers (OpenAPI documents these)

const PASSPORT = { $ref: `${PASSPORT_SCHEMA_ID}#` } as const;
const OBJECT_INPUT = { $ref: `${IMPORT_SCHEMA_ID}#/definitions/object` } as const;
const IMPORT_FILE_SCHEMA = { $ref: `${IMPORT_SCHEMA_ID}#` } as const;

const text = { type: 'string' } as const;
const nullableText = { type: ['string', 'null'] } as const;
const day = { type: 'string', format: 'date', description: "'YYYY-MM-DD'" } as const;
const nullableDay = { type: ['string', 'null'], format: 'date', description: "'YYYY-MM-DD', or null" } as const;
const instant = { type: 'string', format: 'date-time' } as const;
const nullableInstant = { type: ['string', 'null'], format: 'date-time' } as const;
const count = { type: 'integer', minimum: 0 } as const;

function object(properties: Record<string, unknown>, description?: string) {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties, ...(description ? { description } : {}) };
}

const idParams = object({ id: { type: 'string', description: "The object's id (a UUID)." } });

const organizationRef = object({ id: text, bin: text, nameKk: text, nameRu: text, nameEn: nullableText });
const bilingualName = object({ kk: text, ru: text });
const lifecycleState = object({ stage: { enum: [...LIFECYCLE_STAGES] }, step: { enum: [...LIFECYCLE_STEPS, null] } }, 'A stage, and its step during creation and development (004 §3.7, §9).');

const registryItem = object({
  id: text,
  nameKk: text,
  nameRu: text,
  shortNameKk: nullableText,
  shortNameRu: nullableText,
  organization: organizationRef,
  kind: text,
  class: { type: 'integer' },
  stage: { enum: [...LIFECYCLE_STAGES] },
  step: nullableText,
  reviewStatus: text,
  accountCode: nullableText,
  updatedAt: instant,
  overdue: { type: 'boolean', description: 'An update duty of the object is open past its due day (003 §9).' },
});

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
  reviewStatus: { enum: [...REVIEW_STATUSES] },
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

/** What each error status means here; the answer is the portal's one error model (ApiError). */
const ERROR_ANSWERS: Record<number, string> = {
  400: 'BAD_REQUEST: a malformed cursor, or an uploaded file that is not JSON.',
  401: 'UNAUTHENTICATED: nobody is signed in (or the session ended).',
  403: 'FORBIDDEN: the role lacks the permission. CSRF_INVALID: no valid x-csrf-token header.',
  404: "NOT_FOUND: no such object or document, or one of another organization (staff see their organization's only).",
  409: 'CONFLICT: details.reason "stale_version" (with details.currentVersion), "object_terminated", "case_open" or "case_decided".',
  429: 'RATE_LIMITED: too many requests from this address; wait a minute.',
  413: 'PAYLOAD_TOO_LARGE: over the upload limit.',
  415: 'UNSUPPORTED_MEDIA_TYPE: neither JSON nor a multipart upload.',
  503: 'SERVICE_UNAVAILABLE: the stored file is missing (administrators are alerted by the fixity check).',
  422: 'VALIDATION_FAILED: details.fields lists every field at fault: { field, rule, params? }.',
};

/** Error answers under the statuses a route can give. */
function errors(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map((status) => [status, { description: ERROR_ANSWERS[status], $ref: `${API_ERROR_SCHEMA_ID}#` }]));
}

const READ_ERRORS = [401, 403] as const;
const WRITE_ERRORS = [401, 403, 422] as const;

const sessionUser = {
  ...object({ id: text, email: text, role: text, organizationId: nullableText, fullName: text }),
  type: ['object', 'null'],
};


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

// ---------------------------------------------------------------------------------------------
// Answers: the services' results as JSON (dates as text)

function iso(value: Date): string {
  return value.toISOString();
}

function isoOrNull(value: Date | null): string | null {
  return value === null ? null : value.toISOString();
}

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

function caseJson(item: CaseSummary) {
  return { ...item, submittedAt: iso(item.submittedAt), dueAt: iso(item.dueAt), decidedAt: isoOrNull(item.decidedAt) };
}

function registryItemJson(item: RegistryItem) {
  return { ...item, updatedAt: iso(item.updatedAt) };
}

function dutyJson(view: DutyView) {
  return { ...view, openedAt: iso(view.openedAt), fulfilledAt: isoOrNull(view.fulfilledAt) };
}

function versionJson(version: VersionSummary) {
  return { ...version, changedAt: iso(version.changedAt) };
}

function sessionUserJson(user: AuthUser | null) {
  return user && { id: user.id, email: user.email, role: user.role, organizationId: user.organizationId, fullName: user.fullName };
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
  session: {
    summary: 'The signed-in user and the CSRF token of the session',
    description: 'Send the token as the x-csrf-token header with every POST, PUT, PATCH and DELETE. user is null when nobody is signed in.',
    tags: ['session'],
    response: { 200: object({ user: sessionUser, csrfToken: text }, 'The user, and the token for writes.') },
  },

  searchObjects: {
    summary: 'Search the registry',
    description:
      'The registry list with the filters of the registry page (/registry): the same parameters, sorts and keyset cursors. ' +
      "Staff see their organization's objects only.",
    tags: ['objects'],
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        q: { type: 'string', maxLength: MAX_QUERY_LENGTH * 2, description: 'Words in the names or purpose, Kazakh or Russian (web-search syntax: "quotes", or, -word).' },
        organization: { type: 'string', format: 'uuid', description: "The owner's id." },
        kind: { enum: [...OBJECT_KINDS] },
        class: { type: 'integer', enum: [...OBJECT_CLASSES] },
        stage: { enum: [...LIFECYCLE_STAGES] },
        review: { enum: [...REVIEW_STATUSES] },
        overdue: { type: 'boolean', description: 'Only objects with an update duty open past its due day.' },
        sort: { enum: [...REGISTRY_SORTS], description: 'Default: relevance with q, updated without.' },
        cursor: { type: 'string', maxLength: 4000, description: 'nextCursor or previousCursor of a page.' },
        limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: REGISTRY_PAGE_SIZE },
      },
    },
    response: {
      200: object({
        items: { type: 'array', items: registryItem },
        nextCursor: nullableText,
        previousCursor: nullableText,
        sort: { enum: [...REGISTRY_SORTS], description: 'The sort applied (relevance without q falls back to updated).' },
      }, 'One page of the registry.'),
      ...errors(400, ...READ_ERRORS, 422),
    },
  },

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
    params: idParams,
    response: { 200: { ...objectDetail, description: 'The object.' }, ...errors(...READ_ERRORS, 404) },
  },

  updateObject: {
    summary: 'Save a new version of the passport',
    description:
      'The whole passport, with the version it was edited from. When someone saved a newer version meanwhile the answer is ' +
      '409 CONFLICT with details.reason "stale_version" and details.currentVersion; a terminated object is read-only (409, "object_terminated").',
    tags: ['objects'],
    params: idParams,
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
    params: idParams,
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
    params: idParams,
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
    params: idParams,
    response: { 200: object({ items: { type: 'array', items: versionSummary } }, 'The versions.'), ...errors(...READ_ERRORS, 404) },
  },

  compareVersions: {
    summary: 'Compare two versions',
    description: 'The values changed from version `from` to version `to`, field by field, in the order of the passport schema.',
    tags: ['objects'],
    params: object({ id: idParams.properties.id, from: { type: 'integer', minimum: 1 }, to: { type: 'integer', minimum: 1 } }),
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

  uploadDocument: {
    summary: "Place a new version of one of the object's documents",
    description:
      'A document is a pair (003 §7): the PDF/A-1 original and the DOCX draft, sent together as multipart/form-data with the fields ' +
      'kind, title (optional), pdf and docx. The type of each file is decided by its content. The DOCX is checked at once (package ' +
      'structure, macros, zip-bomb limits, then its text); the PDF is queued for veraPDF. 202: the new version, each file with its ' +
      'status resource (Location: the PDF\'s). 422: details.fields per field (kind, title, pdf, docx), rule "document_rejected" with ' +
      'params.reason (e.g. docx_macro_enabled, pdf_expected) or "required"; nothing is stored then.',
    tags: ['documents'],
    params: idParams,
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
    params: idParams,
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

  submitObject: {
    summary: 'Submit the object for review by the service integrator',
    description:
      'Opens a review case due 5 working days later (003 §8), with the submission frozen as it is now. 422: the object is not complete; ' +
      'details.fields has one error per gap with field "submission": rule "missing_field" (params.field, a passport path) or "missing_document" (params.documentKind).',
    tags: ['reviews'],
    params: idParams,
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
    params: idParams,
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
    params: idParams,
    body: object({ target: { type: 'string', maxLength: 300 }, body: { type: 'string', maxLength: 8000 } }),
    response: { 201: reviewCommentSchema, ...errors(...WRITE_ERRORS, 404, 409) },
  },

  decideReviewCase: {
    summary: 'Return the case for completion, or approve it',
    description: 'Approval assigns the account code on the first approval (kept for life) and issues the extract, verifiable at /api/verify.',
    tags: ['reviews'],
    params: idParams,
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

// ---------------------------------------------------------------------------------------------
// Routes

/** The registry page's query, as the querystring schema leaves it (overdue only when given), and the page size. */
type SearchQuery = Omit<RegistryQuery, 'overdue'> & { overdue?: boolean; limit: number };

interface DutiesQuery {
  organization?: string;
  status: DutyStatusFilter;
  cursor?: string;
  limit: number;
}

const access = (permission: Extract<RouteAccess, object>['permission']) => ({ access: { permission } }) as const;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

async function objectsApi(fastify: FastifyInstance): Promise<void> {
  const { db, config, store } = fastify.deps;
  const schemas = objectsApiSchemas;

  fastify.setValidatorCompiler(compileRequestSchema);
  // Answers go out as the handlers build them (explicitly, above and below); the response schemas
  // document them, and the tests check every answer against its schema. fastify's default
  // serializer (fast-json-stringify) prints ajv strict-mode warnings on the passport schema's
  // if/then/else, and would silently drop what a schema leaves out instead of failing a test.
  fastify.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Who may call a route is settled before what they sent is looked at: an anonymous or
  // unauthorized client gets 401/403, not a list of field errors (the auth plugin's own check
  // runs later, in preHandler, after validation). A forged request (no CSRF token) likewise.
  fastify.addHook('preValidation', async (request, reply) => {
    const rule = request.routeOptions.config.access;
    if (rule === undefined || rule === 'public') return;
    if (!request.user) throw new AppError('UNAUTHENTICATED');
    if (typeof rule === 'object') requirePermission(request.user, rule.permission);
    if (!SAFE_METHODS.has(request.method)) {
      await new Promise<void>((resolve, reject) => fastify.csrfProtection(request, reply, (error?: Error) => (error ? reject(error) : resolve())));
    }
  });
  // Answers depend on the session (and one carries its CSRF token): never cached.
  fastify.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  const ctx = (request: FastifyRequest) => ({ requestId: request.id });

  fastify.get('/api/session', { config: { access: 'public' }, schema: schemas.session }, async (request, reply) => ({
    user: sessionUserJson(request.user),
    csrfToken: reply.generateCsrf(),
  }));

  fastify.get<{ Querystring: SearchQuery }>('/api/objects', { config: access('objects.read'), schema: schemas.searchObjects }, async (request) => {
    const { cursor, limit, overdue = false } = request.query;
    const filters = toFilters({ ...request.query, overdue });
    const page = await searchObjects(db, request.user, { ...filters, cursor, limit, language: request.language });
    return { ...page, items: page.items.map(registryItemJson) };
  });

  fastify.post<{ Body: ObjectInput }>('/api/objects', { config: access('objects.edit'), schema: schemas.createObject }, async (request, reply) => {
    const saved = await createObject(db, request.user, request.body, ctx(request));
    return reply.code(201).header('location', `/api/objects/${saved.id}`).send(saved);
  });

  fastify.get<{ Params: { id: string } }>('/api/objects/:id', { config: access('objects.read'), schema: schemas.getObject }, async (request) => {
    const detail = await getObject(db, request.user, request.params.id, ctx(request));
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
    async (request) => updateObject(db, request.user, request.params.id, request.body, ctx(request)),
  );

  fastify.post<{ Params: { id: string }; Body: { move: string; occurredOn: string } }>(
    '/api/objects/:id/moves',
    { config: access('objects.edit'), schema: schemas.recordMove },
    async (request, reply) => reply.code(201).send(await recordLifecycleMove(db, request.user, request.params.id, request.body, ctx(request))),
  );

  fastify.post<{ Params: { id: string }; Body: { description: string; detectedOn: string } }>(
    '/api/objects/:id/reports',
    { config: access('objects.report_outdated'), schema: schemas.reportOutdated },
    async (request, reply) => reply.code(201).send(await reportOutdatedInformation(db, request.user, request.params.id, request.body, ctx(request))),
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
    const page = await listDuties(db, request.user, { organizationId: organization, status, cursor, limit }, ctx(request));
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
        const saved: SavedObject[] = await createObjects(db, request.user, (file as { objects: ObjectInput[] }).objects, ctx(request));
        return reply.code(201).send({ objects: saved });
      } catch (error) {
        const fields = error instanceof AppError ? serviceRowErrors(error) : null;
        throw fields ? importRejected(fields) : error;
      }
    },
  );

  fastify.post<{ Params: { id: string } }>(
    '/api/objects/:id/documents',
    // The body is streamed by the handler (to disk, hashed, size limited), never parsed by fastify.
    { config: access('objects.edit'), schema: schemas.uploadDocument, attachValidation: true },
    async (request, reply) => {
      await requireUploadableObject(db, request.user, request.params.id);
      const upload = await readDocumentUpload(request, store, config.uploadLimitBytes);
      const version = await uploadDocumentPair({ db, store, jobs: fastify.deps.jobs }, request.user, request.params.id, upload, ctx(request));
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

  const reviewDeps = { db, jobs: fastify.deps.jobs, baseUrl: config.baseUrl, accountCodePrefix: config.accountCodePrefix };

  fastify.post<{ Params: { id: string } }>('/api/objects/:id/submit', { config: access('objects.edit'), schema: schemas.submitObject }, async (request, reply) =>
    reply.code(201).send(caseJson(await submitForReview(reviewDeps, request.user, request.params.id, ctx(request)))),
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
      const comment = await addReviewComment(db, request.user, request.params.id, request.body, ctx(request));
      return reply.code(201).send({ ...comment, createdAt: iso(comment.createdAt) });
    },
  );

  fastify.post<{ Params: { id: string }; Body: { decision: string; note?: string } }>(
    '/api/review-cases/:id/decision',
    { config: access('reviews.decide'), schema: schemas.decideReviewCase },
    async (request) => decideReviewCase(reviewDeps, request.user, request.params.id, request.body, ctx(request)),
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
}

export default fp(objectsApi, { name: 'portal-objects-api', dependencies: ['portal-auth', 'portal-openapi'], encapsulate: true });
