import type { FastifyInstance } from 'fastify';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { LIFECYCLE_STAGES } from '../objects/lifecycle.ts';
import { OBJECT_KINDS } from '../objects/passport.ts';
import { exportObjectsCsv, findRegistryOrganization, OBJECT_CLASSES, REGISTRY_SORTS, REVIEW_STATUSES, searchObjects } from './registry.service.ts';
import { labelsFor } from './registry.view.ts';
import { REGISTRY_PAGE_SIZE, registryQuerySchema, registryQueryString, toFilters } from './registry.schemas.ts';

const views = '/modules/registry/views';
const read = { access: { permission: 'objects.read' } } as const;

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
