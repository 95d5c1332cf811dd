import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Language } from '../../config.ts';
import { translator } from '../../web/i18n.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { LIFECYCLE_STAGES } from '../objects/lifecycle.ts';
import { OBJECT_KINDS, type ObjectClass } from '../objects/passport.ts';
import {
  exportObjectsCsv,
  findRegistryOrganization,
  MAX_QUERY_LENGTH,
  OBJECT_CLASSES,
  REGISTRY_SORTS,
  type RegistryFilters,
  REVIEW_STATUSES,
  reviewStatusLabel,
  searchObjects,
} from './registry.service.ts';

const views = '/modules/registry/views';
const read = { access: { permission: 'objects.read' } } as const;
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

interface Labels {
  kinds: Record<string, string>;
  stages: Record<string, string>;
  reviewStatuses: Record<string, string>;
}

const labelCache = new Map<Language, Labels>();
/** The labels of the enumerations (the objects module's), translated once per language: a page shows them on every row. */
function labelsFor(language: Language): Labels {
  let labels = labelCache.get(language);
  if (!labels) {
    const t = translator(language);
    labels = {
      kinds: Object.fromEntries(OBJECT_KINDS.map((kind) => [kind, t(`objects.kinds.${kind}`)])),
      stages: Object.fromEntries(LIFECYCLE_STAGES.map((stage) => [stage, t(`objects.stages.${stage}`)])),
      reviewStatuses: Object.fromEntries(REVIEW_STATUSES.map((status) => [status, reviewStatusLabel(t, status)])),
    };
    labelCache.set(language, labels);
  }
  return labels;
}

export default async function registryWeb(fastify: FastifyInstance): Promise<void> {
  const { db } = fastify.deps;

  fastify.get('/registry', { config: read }, async (request, reply) => {
    const query = registryQuerySchema.parse(request.query ?? {});
    const filters = toFilters(query);
    // Staff see their own organization's objects only: a choice of owner would offer nothing.
    const chooseOrganization = request.user?.role !== 'staff';
    const [page, organization] = await Promise.all([
      searchObjects(db, request.user, { ...filters, cursor: query.cursor, limit: REGISTRY_PAGE_SIZE, language: request.language }),
      chooseOrganization && query.organization ? findRegistryOrganization(db, request.user, query.organization, request.language) : null,
    ]);
    return reply.render(`${views}/list`, {
      query,
      sort: page.sort,
      page,
      organization,
      chooseOrganization,
      kinds: OBJECT_KINDS,
      classes: OBJECT_CLASSES,
      stages: LIFECYCLE_STAGES,
      reviewStatuses: REVIEW_STATUSES,
      sorts: REGISTRY_SORTS,
      labels: labelsFor(request.language),
      link: (cursor: string) => `/registry${registryQueryString(query, { cursor })}`,
      // The owner in a row narrows the list to that organization, the other filters kept.
      ownerLink: (organizationId: string) => `/registry${registryQueryString({ ...query, organization: organizationId, owner: undefined })}`,
      anyOwnerLink: `/registry${registryQueryString({ ...query, organization: undefined })}`,
      firstLink: `/registry${registryQueryString(query)}`,
      csvLink: `/registry.csv${registryQueryString(query)}`,
    });
  });

  fastify.get('/registry.csv', { config: read }, async (request, reply) => {
    const query = registryQuerySchema.parse(request.query ?? {});
    const csv = exportObjectsCsv(db, request.user, toFilters(query), { language: request.language });
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="registry-${toAlmatyDate(new Date())}.csv"`)
      .header('cache-control', 'no-store')
      .send(csv);
  });
}
