import { createRequire } from 'node:module';
import path from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { projectRoot } from './config.ts';
import type { AppDependencies } from './deps.ts';
import authPlugin from './modules/auth/auth.plugin.ts';
import sessionApi from './modules/auth/auth.api.ts';
import accountRequestsWeb from './modules/accounts/account-requests.web.ts';
import adminWeb from './modules/admin/admin.web.ts';
import auditingWeb from './modules/auditing/auditing.web.ts';
import monitoringWeb from './modules/monitoring/monitoring.web.ts';
import authWeb from './modules/auth/auth.web.ts';
import secondFactorWeb from './modules/auth/second-factor.web.ts';
import ecpSignInWeb from './modules/auth/ecp-sign-in.web.ts';
import healthRoutes from './modules/health/health.routes.ts';
import notificationsWeb from './modules/notifications/notifications.web.ts';
import documentsApi from './modules/documents/documents.api.ts';
import documentsWeb from './modules/documents/documents.web.ts';
import objectsApi from './modules/objects/objects.api.ts';
import objectsWeb from './modules/objects/objects.web.ts';
import registryApi from './modules/registry/registry.api.ts';
import registryWeb from './modules/registry/registry.web.ts';
import reviewsApi from './modules/reviews/reviews.api.ts';
import reviewsWeb from './modules/reviews/reviews.web.ts';
import errorsPlugin from './web/plugins/errors.plugin.ts';
import i18nPlugin from './web/plugins/i18n.plugin.ts';
import openapiPlugin from './web/plugins/openapi.plugin.ts';
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
 * Every route plugin, in the order it is registered: one list here rather than @fastify/autoload,
 * because
 *   - the order is part of the API's contract: @fastify/swagger lists the OpenAPI document's paths
 *     and methods in registration order, so the JSON routes go in the order clients have had them
 *     (session, registry search, objects, documents, reviews; tests/integration/snapshots/
 *     openapi.json), where a directory walk would order them by folder name;
 *   - route files live in three layers (src/modules/<m>/*.web.ts, *.api.ts, health.routes.ts;
 *     src/pages/<p>/; src/web/language.routes.ts), so autoload would need a walk per tree, a file-name
 *     filter, and its folder-name URL prefixes turned off;
 *   - a route file moved away, or imported here and left out of the list (noUnusedLocals), fails
 *     tsc instead of silently serving nothing.
 * Each API plugin names the plugins it needs (auth, openapi), so a wrong order fails at boot.
 */
const ROUTES: FastifyPluginAsync[] = [
  healthRoutes,
  languageRoutes,
  homeWeb,
  authWeb,
  secondFactorWeb,
  ecpSignInWeb,
  accountRequestsWeb,
  adminWeb,
  notificationsWeb,
  objectsWeb,
  objectPageWeb,
  documentsWeb,
  reviewsWeb,
  registryWeb,
  auditingWeb,
  monitoringWeb,
  sessionApi,
  registryApi,
  objectsApi,
  documentsApi,
  reviewsApi,
];

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
        // The sign-in and signing pages talk to NCALayer, the NCA's signer on the user's own machine.
        connectSrc: ["'self'", new URL(deps.config.ncaLayerUrl).origin],
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
  // The NCALayer client (sigex-kz/ncalayer-js-client, a dependency) served from our own origin:
  // the pages that sign load it as a plain script under script-src 'self'.
  await fastify.register(fastifyStatic, {
    root: path.dirname(createRequire(import.meta.url).resolve('ncalayer-js-client')),
    prefix: '/static/vendor/',
    allowedPath: (pathName) => pathName === '/ncalayer-client.js',
    decorateReply: false,
    maxAge: deps.config.env === 'production' ? '1d' : 0,
  });

  // After the auth plugin (its routes get an access rule) and before any /api/ route (swagger
  // documents only routes registered after it).
  await fastify.register(openapiPlugin);

  for (const routes of ROUTES) await fastify.register(routes);
}

export default fp(app, { name: 'portal-app' });
