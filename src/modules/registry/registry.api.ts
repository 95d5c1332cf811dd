/**
 * The registry's JSON API: the search of the registry page (/registry) with the same filters,
 * sorts and keyset cursors (registry.service.ts), documented by OpenAPI.
 */
import type { FastifySchema } from 'fastify';
import { access, iso, jsonApiRoutes } from '../../web/api/json-api.ts';
import { errors, instant, nullableText, object, organizationRef, READ_ERRORS, text } from '../../web/api/json-schemas.ts';
import { LIFECYCLE_STAGES } from '../objects/lifecycle.ts';
import { OBJECT_KINDS } from '../objects/passport.ts';
import {
  MAX_PAGE_SIZE,
  MAX_QUERY_LENGTH,
  OBJECT_CLASSES,
  REGISTRY_SORTS,
  type RegistryItem,
  REVIEW_STATUSES,
  searchObjects,
} from './registry.service.ts';
import { REGISTRY_PAGE_SIZE, type RegistryQuery, toFilters } from './registry.schemas.ts';

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

function registryItemJson(item: RegistryItem) {
  return { ...item, updatedAt: iso(item.updatedAt) };
}

export const registryApiSchemas = {
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
} satisfies Record<string, FastifySchema>;

/** The registry page's query, as the querystring schema leaves it (overdue only when given), and the page size. */
type SearchQuery = Omit<RegistryQuery, 'overdue'> & { overdue?: boolean; limit: number };

export default jsonApiRoutes('portal-registry-api', async function registryApi(fastify) {
  const { db } = fastify.deps;

  fastify.get<{ Querystring: SearchQuery }>('/api/objects', { config: access('objects.read'), schema: registryApiSchemas.searchObjects }, async (request) => {
    const { cursor, limit, overdue = false } = request.query;
    const filters = toFilters({ ...request.query, overdue });
    const page = await searchObjects(db, request.user, { ...filters, cursor, limit, language: request.language });
    return { ...page, items: page.items.map(registryItemJson) };
  });
});
