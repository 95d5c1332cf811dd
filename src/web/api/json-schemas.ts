/**
 * The vocabulary every module's JSON routes describe their requests and answers with (OpenAPI
 * documents them): the portal's JSON Schema files by `$id`, the one error model, and the small
 * shapes several modules' answers share.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_STATUS } from '../../errors.ts';
import { schemasDir } from '../../schema-registry.ts';

/** A schema of schemas/, read afresh: fastify and @fastify/swagger keep (and annotate) what they are given. */
export function schemaFile(file: string): { $id: string } & Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(schemasDir, file), 'utf8')) as { $id: string } & Record<string, unknown>;
}

export const PASSPORT_FILE = 'object-passport.schema.json';
export const IMPORT_FILE = 'object-import.schema.json';

/** `$ref` targets for route schemas: the schema files themselves, by their `$id`. */
export const PASSPORT_SCHEMA_ID = schemaFile(PASSPORT_FILE).$id;
export const IMPORT_SCHEMA_ID = schemaFile(IMPORT_FILE).$id;

export const API_ERROR_SCHEMA_ID = 'ApiError';

/** The portal's one error model (src/errors.ts) as every /api/ URL answers it. */
export const apiErrorSchema = {
  $id: API_ERROR_SCHEMA_ID,
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message', 'details'],
      properties: {
        code: { enum: Object.keys(ERROR_STATUS), description: 'Stable; decides the HTTP status.' },
        message: { type: 'string', description: "For people, in the user's language." },
        details: {
          description:
            'null, or what the code says more precisely. VALIDATION_FAILED: { fields: [{ field, rule, params? }] } — the field a dotted path, ' +
            'the rule as the pages name it — and for an import also rows: [{ row, field, rule, params? }]. ' +
            'CONFLICT: { reason: "stale_version", currentVersion } or { reason: "object_terminated" }.',
        },
      },
    },
  },
};

export const text = { type: 'string' } as const;
export const nullableText = { type: ['string', 'null'] } as const;
export const day = { type: 'string', format: 'date', description: "'YYYY-MM-DD'" } as const;
export const nullableDay = { type: ['string', 'null'], format: 'date', description: "'YYYY-MM-DD', or null" } as const;
export const instant = { type: 'string', format: 'date-time' } as const;
export const nullableInstant = { type: ['string', 'null'], format: 'date-time' } as const;
export const count = { type: 'integer', minimum: 0 } as const;

/** A closed object: every property given is required, no other allowed. */
export function object(properties: Record<string, unknown>, description?: string) {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties, ...(description ? { description } : {}) };
}

export const organizationRef = object({ id: text, bin: text, nameKk: text, nameRu: text, nameEn: nullableText });
export const bilingualName = object({ kk: text, ru: text });

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
export function errors(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map((status) => [status, { description: ERROR_ANSWERS[status], $ref: `${API_ERROR_SCHEMA_ID}#` }]));
}

export const READ_ERRORS = [401, 403] as const;
export const WRITE_ERRORS = [401, 403, 422] as const;
