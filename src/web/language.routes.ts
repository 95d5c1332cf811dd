import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LANGUAGES } from '../config.ts';
import { LANGUAGE_COOKIE } from './plugins/i18n.plugin.ts';
import { safeReturnPath } from './return-path.ts';

const languageParams = z.object({ code: z.enum(LANGUAGES) });

/** The language switch: a cookie for a year, then back to the page it was chosen on. */
export default async function languageRoutes(fastify: FastifyInstance): Promise<void> {
  const secureCookies = fastify.deps.config.baseUrl.startsWith('https://');

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
