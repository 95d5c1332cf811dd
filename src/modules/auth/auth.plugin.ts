import csrf from '@fastify/csrf-protection';
import rateLimit from '@fastify/rate-limit';
import session, { type SessionStore } from '@fastify/session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.ts';
import { wantsJson } from '../../web/plugins/errors.plugin.ts';
import { pathOnly } from '../../web/plugins/views.plugin.ts';
import { loadActiveUser } from '../users/users.repository.ts';
import { type AuthUser, requirePermission, type RouteAccess } from '../../access/permissions.ts';
import { createSessionStore, type PortalSessionData, sessionReadExtras } from './session-store.ts';
import { CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE } from '../../web/credentials.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, or null; set before any handler runs. */
    user: AuthUser | null;
  }
  interface FastifyInstance {
    /** Every route with its declared access, in registration order (for the route/role test and docs). */
    routeAccess: Array<{ method: string; url: string; access: RouteAccess }>;
  }
  interface FastifyContextConfig {
    /** Who may call the route; every route must say (checked at boot, enforced before the handler). */
    access?: RouteAccess;
    /** false: a state-changing route that takes no CSRF token (none so far). */
    csrf?: boolean;
    /** Read with the session, in the same statement: the page stamp of the object named by this route parameter. */
    readWithSession?: { objectPage: string };
  }
  interface Session extends PortalSessionData {}
}

/** A session ends after 30 minutes without a request, and 12 hours after sign-in in any case. */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
const TOUCH_EVERY_MS = 60 * 1000;

/** Where an anonymous visitor goes to sign in, coming back to the page asked for. */
export function signInRedirect(request: FastifyRequest): string {
  return `/sign-in?return=${encodeURIComponent(request.method === 'GET' ? request.url : pathOnly(request.headers.referer ?? '/') || '/')}`;
}

async function resolveUser(request: FastifyRequest): Promise<void> {
  request.user = null;
  const current = request.session;
  if (!current?.userId) return;
  const now = Date.now();
  const expired =
    now - (current.signedInAt ?? 0) > SESSION_ABSOLUTE_MS || now - (current.lastSeenAt ?? current.signedInAt ?? 0) > SESSION_IDLE_MS;
  // The session store reads the active user with the session (one statement a request); a session
  // made during this request has not been read, so its user is looked up.
  const loaded = current.activeUser;
  const user = expired ? null : loaded === null || loaded?.id === current.userId ? loaded : await loadActiveUser(request.server.deps.db, current.userId);
  if (!user) {
    // Timed out, deactivated, or deleted: the session is over; a fresh anonymous one replaces it.
    await current.regenerate();
    // Shown on the next page (normally the sign-in page the visitor is sent to).
    if (expired) request.session.flash = 'auth.session_expired';
    return;
  }
  if (now - (current.lastSeenAt ?? 0) > TOUCH_EVERY_MS) current.lastSeenAt = now;
  request.user = user;
}

function deny(request: FastifyRequest, reply: FastifyReply, reason: 'UNAUTHENTICATED' | 'FORBIDDEN'): FastifyReply | void {
  if (reason === 'UNAUTHENTICATED' && !wantsJson(request) && request.method === 'GET') {
    return reply.redirect(signInRedirect(request), 303);
  }
  throw new AppError(reason);
}

async function authPlugin(fastify: FastifyInstance): Promise<void> {
  const { config, db } = fastify.deps;
  const secure = config.baseUrl.startsWith('https://');

  const routeAccess: FastifyInstance['routeAccess'] = [];
  fastify.decorate('routeAccess', routeAccess);
  fastify.addHook('onRoute', (route) => {
    route.config ??= {};
    // Routes of @fastify/static (its own) serve public assets.
    if (route.config.access === undefined && route.url.startsWith('/static/')) route.config.access = 'public';
    if (route.config.access === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access rule (config.access)`);
    }
    for (const method of [route.method].flat()) routeAccess.push({ method, url: route.url, access: route.config.access });
  });

  // Before the session is loaded (hooks run in the order added): what the route wants read with it.
  fastify.addHook('onRequest', (request, _reply, done) => {
    const wanted = request.routeOptions.config?.readWithSession;
    const objectPageId = wanted ? (request.params as Record<string, string | undefined>)[wanted.objectPage] : undefined;
    if (objectPageId === undefined) return done();
    // The session plugin's hook runs from done(), so its store reads inside this context.
    sessionReadExtras.run({ objectPageId }, done);
  });

  await fastify.register(session, {
    secret: config.sessionSecret,
    cookieName: SESSION_COOKIE,
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: SESSION_ABSOLUTE_MS },
    store: createSessionStore(db, SESSION_ABSOLUTE_MS) as unknown as SessionStore,
    saveUninitialized: false,
    rolling: false,
  });
  await fastify.register(csrf, {
    sessionPlugin: '@fastify/session',
    getToken: (request) => {
      const body = request.body as Record<string, unknown> | undefined;
      const fromBody = body && typeof body === 'object' && typeof body._csrf === 'string' ? body._csrf : undefined;
      const header = request.headers[CSRF_HEADER];
      // A multipart form's body is read only by its handler, after this check: such forms carry the
      // token in their action's query string instead.
      const query = request.query as Record<string, unknown> | undefined;
      const fromQuery = request.isMultipart() && query && typeof query._csrf === 'string' ? query._csrf : undefined;
      return fromBody ?? (typeof header === 'string' ? header : undefined) ?? fromQuery;
    },
  });
  // Limits count per address AND per e-mail typed: civil servants often share one office address,
  // so an address alone would lock out a whole ministry; guessing at one account is stopped by the
  // account lockout, guessing across accounts by the per-address part of the key.
  await fastify.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    keyGenerator: (request) => {
      const body = request.body as Record<string, unknown> | undefined;
      const email = body && typeof body === 'object' ? (body.email ?? body.contact_email) : undefined;
      return `${request.ip}|${typeof email === 'string' ? email.trim().toLowerCase() : ''}`;
    },
  });

  fastify.decorateRequest('user', null);
  fastify.addHook('onRequest', resolveUser);

  fastify.addHook('preHandler', (request, reply, done) => {
    if (SAFE_METHODS.has(request.method) || request.routeOptions.config.csrf === false) return done();
    // Answers a bad or missing token through the error handler (CSRF_INVALID).
    fastify.csrfProtection(request, reply, done);
  });

  fastify.addHook('preHandler', async (request, reply) => {
    const access = request.routeOptions.config.access;
    // Every registered route declares its access (checked at boot); only the not-found handler has none.
    if (access === 'public' || access === undefined) return;
    if (!request.user) return deny(request, reply, 'UNAUTHENTICATED');
    if (access === 'signed_in') return;
    if (access && typeof access === 'object') {
      try {
        requirePermission(request.user, access.permission);
      } catch {
        return deny(request, reply, 'FORBIDDEN');
      }
    }
  });
}

export default fp(authPlugin, { name: 'portal-auth', dependencies: ['@fastify/cookie', 'portal-deps', 'portal-errors'] });
