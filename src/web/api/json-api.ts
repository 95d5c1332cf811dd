/**
 * What every module's JSON routes (`<module>.api.ts`) share: the scope they are declared in, with
 * the API's request checks, its access check and its answers.
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
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import fp from 'fastify-plugin';
import { requirePermission, type RouteAccess } from '../../access/permissions.ts';
import { AppError, type FieldError } from '../../errors.ts';
import { schemaValidator, toFieldErrors } from '../../schema-registry.ts';
import { SAFE_METHODS } from '../credentials.ts';
import { IMPORT_FILE, PASSPORT_SCHEMA_ID } from './json-schemas.ts';

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

export function validationFailed(fields: FieldError[], details: Record<string, unknown> = {}): AppError {
  return new AppError('VALIDATION_FAILED', 'request rejected', { fields, ...details });
}

const compileRequestSchema: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  if (httpPart !== 'body') return requestAjv.compile(schema as object);
  const validate = bodyAjv.compile(schema as object);
  return (data: unknown) => (validate(data) ? true : { error: validationFailed(toFieldErrors(validate.errors)) });
};

/** The body check (layer 1) of a schema known by `$id`, for a handler that checks a body itself. */
export function bodyShapeCheck(schemaId: string): ValidateFunction {
  const validate = bodyAjv.getSchema(schemaId);
  if (!validate) throw new Error(`no body schema with $id ${schemaId}`);
  return validate;
}

/** A route's `config` saying which permission it needs. */
export const access = (permission: Extract<RouteAccess, object>['permission']) => ({ access: { permission } }) as const;

/** What a service records of the request it serves (audit rows carry the request id). */
export const requestContext = (request: FastifyRequest) => ({ requestId: request.id });

export function iso(value: Date): string {
  return value.toISOString();
}

export function isoOrNull(value: Date | null): string | null {
  return value === null ? null : value.toISOString();
}

/** The API's checks and answers, set on the scope its routes are declared in (the pages keep fastify's own). */
function useJsonApi(fastify: FastifyInstance): void {
  fastify.setValidatorCompiler(compileRequestSchema);
  // Answers go out as the handlers build them (explicitly); the response schemas document them,
  // and the tests check every answer against its schema. fastify's default serializer
  // (fast-json-stringify) prints ajv strict-mode warnings on the passport schema's if/then/else,
  // and would silently drop what a schema leaves out instead of failing a test.
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
}

/**
 * A module's JSON routes as a plugin of their own scope, named so tests and the composition root
 * can tell it is there. It needs the auth plugin (the session's user and CSRF check) and the
 * OpenAPI plugin (which documents only the routes registered after it): without them it fails at
 * boot.
 */
export function jsonApiRoutes(name: string, routes: (fastify: FastifyInstance) => Promise<void>): FastifyPluginAsync {
  return fp(
    async (fastify: FastifyInstance) => {
      useJsonApi(fastify);
      await routes(fastify);
    },
    { name, dependencies: ['portal-auth', 'portal-openapi'], encapsulate: true },
  );
}
