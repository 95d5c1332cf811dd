import type { FastifyInstance } from 'fastify';
import { createReadinessProbe } from './health.service.ts';

export default async function healthRoutes(fastify: FastifyInstance): Promise<void> {
  const readiness = createReadinessProbe(fastify.deps);

  fastify.get('/healthz', { logLevel: 'warn', config: { access: 'public' } }, async () => ({ status: 'ok' }));

  fastify.get('/readyz', { logLevel: 'warn', config: { access: 'public' } }, async (_request, reply) => {
    const report = await readiness();
    return reply.status(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not_ready', ...report });
  });
}
