import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Eta } from 'eta';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LANGUAGES, projectRoot } from '../../config.ts';
import type { FieldError } from '../../errors.ts';
import { type AuthUser, can, type Permission } from '../../access/permissions.ts';
import { formatDateTime } from '../i18n.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** Renders a template (path from src/, without extension) inside the layout, in the request's language. */
    render(template: string, data?: Record<string, unknown>): FastifyReply;
    /**
     * Renders a template alone, as it may be kept for other viewers (src/web/page-cache.ts): without
     * the user (null), without the one-time notice, and with a placeholder where CSRF tokens go.
     * What it may show still depends on the viewer's role (`it.can`), which a cache key must hold.
     */
    renderFragment(template: string, data?: Record<string, unknown>): Fragment;
    /** Sends a fragment from renderFragment inside the layout, its CSRF placeholders filled with this session's token. */
    renderPage(title: string, fragment: Fragment): FastifyReply;
  }
}

/**
 * A rendered fragment, encoded once: the UTF-8 bytes between its CSRF placeholders (one part when
 * it has none). A response joins them with its own token, so a kept page is never encoded again.
 */
export interface Fragment {
  readonly parts: readonly Buffer[];
  readonly bytes: number;
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

/** Unguessable, so that no text a user typed can be taken for it; survives HTML escaping. */
const CSRF_PLACEHOLDER = `csrf${randomBytes(16).toString('hex')}`;
/** Where a fragment goes in the layout; the same. */
const BODY_PLACEHOLDER = `body${randomBytes(16).toString('hex')}`;

async function viewsPlugin(fastify: FastifyInstance): Promise<void> {
  const eta = new Eta({
    views: path.join(projectRoot, 'src'),
    cache: fastify.deps.config.env === 'production',
    autoEscape: true,
    autoTrim: false,
  });

  /** What every template is given: the language and what depends on it, and the viewer's permissions. */
  function languageContext(request: FastifyRequest): Record<string, unknown> {
    return {
      lang: request.language,
      t: request.t,
      languages: LANGUAGES,
      errorText: (error: FieldError) => request.t(`validation.${error.rule}`, error.params ?? {}),
      formatDateTime: (value: Date) => formatDateTime(request.language, value),
      can: (permission: Permission) => can((request as { user?: AuthUser | null }).user, permission),
    };
  }

  function baseContext(request: FastifyRequest, reply: FastifyReply): Record<string, unknown> {
    const session = (request as { session?: { flash?: string } }).session;
    const flash = session?.flash ?? null;
    if (session?.flash) delete session.flash;
    return {
      ...languageContext(request),
      currentPath: pathOnly(request.url),
      // The language switch sends people back where they were; after a POST (a form shown again
      // with errors) that is the page the form came from, not the POST-only address.
      returnPath: request.method === 'GET' ? request.url : sameSiteReferer(request) ?? '/',
      requestId: request.id,
      user: (request as { user?: unknown }).user ?? null,
      flash,
      // Lazily: only pages with a form create a CSRF secret (and so a session) for a visitor.
      csrfToken: () => (reply as FastifyReply & { generateCsrf(): string }).generateCsrf(),
    };
  }

  /** For a fragment other viewers of the same role and language may be shown: nothing of this one. */
  function fragmentContext(request: FastifyRequest): Record<string, unknown> {
    const here = pathOnly(request.url);
    return { ...languageContext(request), currentPath: here, returnPath: here, requestId: null, user: null, flash: null, csrfToken: () => CSRF_PLACEHOLDER };
  }

  fastify.decorateReply('render', function render(this: FastifyReply, template: string, data: Record<string, unknown> = {}) {
    const html = eta.render(template, { ...baseContext(this.request, this), ...data });
    return this.type('text/html; charset=utf-8').send(html);
  });

  fastify.decorateReply('renderFragment', function renderFragment(this: FastifyReply, template: string, data: Record<string, unknown> = {}): Fragment {
    const parts = eta.render(template, { ...fragmentContext(this.request), ...data }).split(CSRF_PLACEHOLDER).map((part) => Buffer.from(part, 'utf8'));
    return { parts, bytes: parts.reduce((sum, part) => sum + part.length, 0) };
  });

  fastify.decorateReply('renderPage', function renderPage(this: FastifyReply, title: string, fragment: Fragment) {
    const reply = this as FastifyReply & { generateCsrf(): string };
    const page = eta.render('/web/views/page', { ...baseContext(this.request, this), title, fragment: BODY_PLACEHOLDER });
    const at = page.indexOf(BODY_PLACEHOLDER);
    const chunks: Buffer[] = [Buffer.from(page.slice(0, at), 'utf8')];
    const token = fragment.parts.length > 1 ? Buffer.from(reply.generateCsrf(), 'utf8') : null;
    fragment.parts.forEach((part, index) => {
      if (index > 0 && token) chunks.push(token);
      chunks.push(part);
    });
    chunks.push(Buffer.from(page.slice(at + BODY_PLACEHOLDER.length), 'utf8'));
    return this.type('text/html; charset=utf-8').send(Buffer.concat(chunks));
  });
}

export default fp(viewsPlugin, { name: 'portal-views', dependencies: ['portal-deps', 'portal-i18n'] });
