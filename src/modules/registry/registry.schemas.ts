/**
 * The registry's query as pages and the API read it from a query string (the search form is a GET
 * form, so a result list is a link that can be bookmarked and shared), and the service's filters
 * made from it.
 */
import { z } from 'zod';
import { LIFECYCLE_STAGES } from '../objects/lifecycle.ts';
import { OBJECT_KINDS, type ObjectClass } from '../objects/passport.ts';
import { MAX_QUERY_LENGTH, REGISTRY_SORTS, type RegistryFilters, REVIEW_STATUSES } from './registry.service.ts';

export const REGISTRY_PAGE_SIZE = 25;

/** An empty select or text box means "any". */
const blankToUndefined = (value: unknown) => (value === '' ? undefined : value);
const optionalEnum = <T extends readonly [string, ...string[]]>(values: T) => z.preprocess(blankToUndefined, z.enum(values).optional()).catch(undefined);

/**
 * The registry's filters from the query string (the search form is a GET form, so a result list
 * is a link that can be bookmarked and shared). Anything unknown means "any", never an error.
 */
export const registryQuerySchema = z.object({
  q: z.preprocess(blankToUndefined, z.string().max(MAX_QUERY_LENGTH * 2).optional()).catch(undefined),
  organization: z.preprocess(blankToUndefined, z.uuid().optional()).catch(undefined),
  owner: z.preprocess(blankToUndefined, z.string().max(MAX_QUERY_LENGTH).optional()).catch(undefined),
  kind: optionalEnum(OBJECT_KINDS),
  class: z
    .preprocess(blankToUndefined, z.enum(['1', '2', '3']).optional())
    .transform((value) => (value === undefined ? undefined : (Number(value) as ObjectClass)))
    .catch(undefined),
  stage: optionalEnum(LIFECYCLE_STAGES),
  review: optionalEnum(REVIEW_STATUSES),
  overdue: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value) => value !== undefined && value !== '' && value !== '0')
    .catch(false),
  sort: optionalEnum(REGISTRY_SORTS),
  cursor: z.preprocess(blankToUndefined, z.string().max(4000).optional()).catch(undefined),
});
export type RegistryQuery = z.output<typeof registryQuerySchema>;

/** With a query text the best matches come first; without one, the latest changes. */
export function toFilters(query: RegistryQuery): RegistryFilters {
  return {
    q: query.q,
    organizationId: query.organization,
    owner: query.owner,
    kind: query.kind,
    class: query.class,
    stage: query.stage,
    reviewStatus: query.review,
    overdue: query.overdue,
    sort: query.sort ?? (query.q?.trim() ? 'relevance' : 'updated'),
  };
}

/** The query string of a filter, as the form would send it; `extra` adds the cursor. */
export function registryQueryString(query: RegistryQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  if (query.q) params.set('q', query.q);
  if (query.organization) params.set('organization', query.organization);
  if (query.owner) params.set('owner', query.owner);
  if (query.kind) params.set('kind', query.kind);
  if (query.class) params.set('class', String(query.class));
  if (query.stage) params.set('stage', query.stage);
  if (query.review) params.set('review', query.review);
  if (query.overdue) params.set('overdue', '1');
  if (query.sort) params.set('sort', query.sort);
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
