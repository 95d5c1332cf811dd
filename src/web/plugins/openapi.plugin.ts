/**
 * The API's OpenAPI 3.1 document (@fastify/swagger) and its Swagger UI at /api/docs
 * (@fastify/swagger-ui), with the portal's JSON Schemas from schemas/ as components.
 *
 * Register after the auth plugin (the Swagger UI routes go through its access check and into
 * `routeAccess`) and before the API routes (@fastify/swagger documents the routes registered after
 * it). Only /api/ routes are documented; the pages registered after it stay out of the document.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { RouteAccess } from '../../access/permissions.ts';
import { CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE } from '../credentials.ts';
import { API_ERROR_SCHEMA_ID, apiErrorSchema, IMPORT_FILE, IMPORT_SCHEMA_ID, PASSPORT_FILE, PASSPORT_SCHEMA_ID, schemaFile } from '../api/json-schemas.ts';

export const API_DOCS_PREFIX = '/api/docs';

/** Component names in the OpenAPI document for the shared schemas, by `$id`. */
const COMPONENT_NAMES: Record<string, string> = {
  [PASSPORT_SCHEMA_ID]: 'ObjectPassport',
  [IMPORT_SCHEMA_ID]: 'ObjectImport',
  [API_ERROR_SCHEMA_ID]: 'ApiError',
};

function accessText(access: RouteAccess | undefined): string {
  if (access === 'public' || access === undefined) return 'Access: public.';
  if (access === 'signed_in') return 'Access: any signed-in user.';
  return `Access: permission \`${access.permission}\`.`;
}

/**
 * What the document says about a route: hidden unless it is an /api/ route (the pages and the
 * documentation's own routes are not the API); otherwise its access rule and the credentials it
 * needs, taken from the route's own `config.access` so the document cannot disagree with it.
 */
function documentRoute({ schema, url, route }: { schema: FastifySchema | undefined; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  const documented = url.startsWith('/api/') && !url.startsWith(`${API_DOCS_PREFIX}/`) && url !== API_DOCS_PREFIX;
  if (!documented) return { schema: { ...schema, hide: true }, url };
  const access = route.config?.access;
  const methods = [route.method].flat();
  const security =
    access === 'public' || access === undefined ? [] : methods.some((method) => !SAFE_METHODS.has(method)) ? [{ session: [], csrfToken: [] }] : [{ session: [] }];
  const description = [schema?.description, accessText(access)].filter(Boolean).join('\n\n');
  return { schema: { ...schema, description, security }, url };
}

async function openapiPlugin(fastify: FastifyInstance): Promise<void> {
  // Fresh copies: fastify and @fastify/swagger keep (and annotate) what they are given.
  fastify.addSchema(schemaFile(PASSPORT_FILE));
  fastify.addSchema(schemaFile(IMPORT_FILE));
  fastify.addSchema(apiErrorSchema);

  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Architecture portal API',
        version: '1',
        description: [
          'The JSON API of the architecture portal: the same use cases as its pages, with the same permissions and checks.',
          '',
          `Sign in on the portal's pages; the session cookie \`${SESSION_COOKIE}\` then authenticates API calls. ` +
            `Every POST, PUT, PATCH and DELETE also needs the CSRF token of the session in the \`${CSRF_HEADER}\` header: ` +
            'get it from `GET /api/session`.',
          '',
          'Errors are `{ "error": { "code", "message", "details" } }`; `code` is stable (VALIDATION_FAILED, CONFLICT, NOT_FOUND, …), ' +
            '`message` is for people, in their language. VALIDATION_FAILED lists `details.fields`: `{ field, rule, params? }`, ' +
            'the field as a dotted path (`passport.contacts.0.phone`) and the rule as the pages name it.',
        ].join('\n'),
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'The session of a user signed in on the portal.' },
          csrfToken: { type: 'apiKey', in: 'header', name: CSRF_HEADER, description: 'The CSRF token of the session, from GET /api/session.' },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, index) => COMPONENT_NAMES[String(json.$id)] ?? `def-${index}`,
    },
    transform: documentRoute,
  });

  await fastify.register(async function apiDocs(docs) {
    // The auth plugin stops the server at boot for a route that declares no access, and
    // @fastify/swagger-ui (and the @fastify/static inside it) take no route options. Everything it
    // registers is public documentation, so in this scope of its own every route says so. An
    // onRoute hook cannot do it: a scope's hooks run after the inherited ones, the auth check first.
    const route = docs.route;
    docs.route = function publicRoute(this: FastifyInstance, options: RouteOptions) {
      return route.call(this, { ...options, config: { ...options.config, access: 'public' } });
    } as FastifyInstance['route'];
    await docs.register(swaggerUi, {
      routePrefix: API_DOCS_PREFIX,
      // No staticCSP: the portal's own policy (script-src 'self'; style-src 'self') applies, and the
      // UI needs no more: its scripts and styles are files. BaseLayout, not the standalone layout,
      // whose top bar (a URL box and logo, of no use for one document) inserts a <style> element
      // that style-src 'self' blocks (seen in Chromium); this layout runs without a CSP violation.
      uiConfig: { deepLinking: true, layout: 'BaseLayout' },
      theme: { title: 'Architecture portal API' },
    });
  });
}

export default fp(openapiPlugin, { name: 'portal-openapi', dependencies: ['portal-auth'] });
