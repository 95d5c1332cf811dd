import type { FastifyInstance } from 'fastify';
import { dutiesSummaryForHome } from '../../modules/objects/duties.service.ts';

/** The home page: what the portal is, and for signed-in staff and reviewers their update duties first (003 §9). */
export default async function homeWeb(fastify: FastifyInstance): Promise<void> {
  fastify.get('/', { config: { access: 'public' } }, async (request, reply) => {
    const duties = request.user ? await dutiesSummaryForHome(fastify.deps.db, request.user) : null;
    return reply.render('/pages/home/views/home', { duties });
  });
}
