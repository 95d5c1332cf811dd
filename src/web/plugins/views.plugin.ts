import path from 'node:path';
import { Eta } from 'eta';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LANGUAGES, projectRoot } from '../../config.ts';
import type { FieldError } from '../../errors.ts';
import { type AuthUser, can, type Permission } from '../../modules/auth/permissions.ts';
import { formatDateTime } from '../i18n.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** Renders a template (path from src/, without extension) inside the layout, in the request's language. */
    render(template: string, data?: Record<string, unknown>): FastifyReply;
  }
}

function sameSiteReferer(request: FastifyRequest): string | null {
  const referer = request.headers.referer;
  if (!referer) return null;
  try {
    const url = new URL(referer);
    return url.host === request.headers.host ? `${url.pathname}${url.search}` : null;
  } catch {
    return null;
  }
}

export function pathOnly(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : url.slice(0, index);
}

async function viewsPlugin(fastify: FastifyInstance): Promise<void> {
  const eta = new Eta({
    views: path.join(projectRoot, 'src'),
    cache: fastify.deps.config.env === 'production',
    autoEscape: true,
    autoTrim: false,
  });

  function baseContext(request: FastifyRequest, reply: FastifyReply): Record<string, unknown> {
    const session = (request as { session?: { flash?: string } }).session;
    const flash = session?.flash ?? null;
    if (session?.flash) delete session.flash;
    return {
      lang: request.language,
      t: request.t,
      languages: LANGUAGES,
      currentPath: pathOnly(request.url),
      // The language switch sends people back where they were; after a POST (a form shown again
      // with errors) that is the page the form came from, not the POST-only address.
      returnPath: request.method === 'GET' ? request.url : sameSiteReferer(request) ?? '/',
      requestId: request.id,
      user: (request as { user?: unknown }).user ?? null,
      flash,
      // Lazily: only pages with a form create a CSRF secret (and so a session) for a visitor.
      csrfToken: () => (reply as FastifyReply & { generateCsrf(): string }).generateCsrf(),
      errorText: (error: FieldError) => request.t(`validation.${error.rule}`, error.params ?? {}),
      formatDateTime: (value: Date) => formatDateTime(request.language, value),
      can: (permission: Permission) => can((request as { user?: AuthUser | null }).user, permission),
    };
  }

  fastify.decorateReply('render', function render(this: FastifyReply, template: string, data: Record<string, unknown> = {}) {
    const html = eta.render(template, { ...baseContext(this.request, this), ...data });
    return this.type('text/html; charset=utf-8').send(html);
  });
}

export default fp(viewsPlugin, { name: 'portal-views', dependencies: ['portal-i18n'] });
