import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LANGUAGES } from '../config.ts';
import { dutiesSummaryForHome } from '../modules/objects/objects.service.ts';
import { LANGUAGE_COOKIE } from './plugins/i18n.plugin.ts';

/** Only a path on this site: "/x", never "//host" or "/\host", so the switch cannot redirect away. */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}

const languageParams = z.object({ code: z.enum(LANGUAGES) });

export default async function webRoutes(fastify: FastifyInstance): Promise<void> {
  const secureCookies = fastify.deps.config.baseUrl.startsWith('https://');

  fastify.get('/', { config: { access: 'public' } }, async (request, reply) => {
    // Signed-in staff and reviewers see their update duties first (003 §9).
    const duties = request.user ? await dutiesSummaryForHome(fastify.deps.db, request.user) : null;
    return reply.render('/web/views/home', { duties });
  });

  fastify.get('/language/:code', { config: { access: 'public' } }, async (request, reply) => {
    const parsed = languageParams.safeParse(request.params);
    if (!parsed.success) return reply.callNotFound();
    const query = request.query as { return?: unknown };
    return reply
      .setCookie(LANGUAGE_COOKIE, parsed.data.code, {
        path: '/',
        maxAge: 365 * 24 * 60 * 60,
        sameSite: 'lax',
        httpOnly: true,
        secure: secureCookies,
      })
      .redirect(safeReturnPath(query.return), 303);
  });
}
