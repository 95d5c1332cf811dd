import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Language } from '../../config.ts';
import { negotiateLanguage, type TFunction, translator } from '../i18n.ts';

declare module 'fastify' {
  interface FastifyRequest {
    language: Language;
    t: TFunction;
  }
}

export const LANGUAGE_COOKIE = 'lang';

async function i18nPlugin(fastify: FastifyInstance): Promise<void> {
  const fallback = fastify.deps.config.defaultLanguage;
  fastify.decorateRequest('language', fallback);
  fastify.decorateRequest('t', null as unknown as TFunction);
  fastify.addHook('onRequest', async (request) => {
    request.language = negotiateLanguage(request.cookies[LANGUAGE_COOKIE], request.headers['accept-language'], fallback);
    request.t = translator(request.language);
  });
}

export default fp(i18nPlugin, { name: 'portal-i18n', dependencies: ['@fastify/cookie', 'portal-deps'] });
