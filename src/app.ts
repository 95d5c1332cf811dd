import path from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { projectRoot } from './config.ts';
import type { AppDependencies } from './deps.ts';
import authPlugin from './modules/auth/auth.plugin.ts';
import accountRequestsWeb from './modules/accounts/account-requests.web.ts';
import adminWeb from './modules/admin/admin.web.ts';
import objectsApi from './modules/api/objects.api.ts';
import openapiPlugin from './modules/api/openapi.plugin.ts';
import auditingWeb from './modules/auditing/auditing.web.ts';
import authWeb from './modules/auth/auth.web.ts';
import secondFactorWeb from './modules/auth/second-factor.web.ts';
import healthRoutes from './modules/health/health.routes.ts';
import notificationsWeb from './modules/notifications/notifications.web.ts';
import documentsWeb from './modules/documents/documents.web.ts';
import objectsWeb from './modules/objects/objects.web.ts';
import reviewsWeb from './modules/reviews/reviews.web.ts';
import registryWeb from './modules/registry/registry.web.ts';
import errorsPlugin from './web/plugins/errors.plugin.ts';
import i18nPlugin from './web/plugins/i18n.plugin.ts';
import viewsPlugin from './web/plugins/views.plugin.ts';
import languageRoutes from './web/language.routes.ts';
import homeWeb from './pages/home/home.web.ts';
import objectPageWeb from './pages/object-page/object-page.web.ts';

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDependencies;
  }
}

const depsPlugin = fp(
  async (fastify: FastifyInstance, deps: AppDependencies) => {
    fastify.decorate('deps', deps);
  },
  { name: 'portal-deps' },
);

/**
 * The portal as a fastify plugin. Order: external plugins, then the portal's shared plugins
 * (each names what it depends on, so missing wiring fails at boot), then routes.
 */
async function app(fastify: FastifyInstance, deps: AppDependencies): Promise<void> {
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await fastify.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: deps.config.baseUrl.startsWith('https://') ? [] : null,
      },
    },
    strictTransportSecurity: deps.config.baseUrl.startsWith('https://'),
  });
  await fastify.register(cookie, { secret: deps.config.sessionSecret });
  await fastify.register(formbody);
  await fastify.register(multipart, {
    limits: { fileSize: deps.config.uploadLimitBytes, files: 2, fields: 50, fieldSize: 64 * 1024, parts: 60 },
  });
  await fastify.register(depsPlugin, deps);
  // Reads buffered for the access log reach the database before the pool closes.
  fastify.addHook('onClose', async () => {
    await deps.accessLog.close();
  });
  await fastify.register(i18nPlugin);
  await fastify.register(viewsPlugin);
  await fastify.register(errorsPlugin);
  await fastify.register(authPlugin);
  // After the auth plugin, whose route check marks these asset routes public.
  await fastify.register(fastifyStatic, {
    root: path.join(projectRoot, 'src', 'web', 'static'),
    prefix: '/static/',
    maxAge: deps.config.env === 'production' ? '1d' : 0,
  });

  // After the auth plugin (its routes get an access rule) and before any /api/ route (swagger
  // documents only routes registered after it).
  await fastify.register(openapiPlugin);

  await fastify.register(healthRoutes);
  await fastify.register(languageRoutes);
  await fastify.register(homeWeb);
  await fastify.register(authWeb);
  await fastify.register(secondFactorWeb);
  await fastify.register(accountRequestsWeb);
  await fastify.register(adminWeb);
  await fastify.register(notificationsWeb);
  await fastify.register(objectsWeb);
  await fastify.register(objectPageWeb);
  await fastify.register(documentsWeb);
  await fastify.register(reviewsWeb);
  await fastify.register(registryWeb);
  await fastify.register(auditingWeb);
  await fastify.register(objectsApi);
}

export default fp(app, { name: 'portal-app' });
