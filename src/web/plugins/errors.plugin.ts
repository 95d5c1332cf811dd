import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, type ErrorCode, errorCodeForStatus, type FieldError } from '../../errors.ts';
import { translator } from '../i18n.ts';

interface Classified {
  code: ErrorCode;
  status: number;
  details: unknown;
}

function classify(error: unknown): Classified {
  if (error instanceof AppError) return { code: error.code, status: error.status, details: error.details ?? null };
  const e = error as Partial<FastifyError> & { validation?: Array<{ instancePath?: string; keyword?: string; params?: unknown }> };
  if (e.validation) {
    const fields: FieldError[] = e.validation.map((v) => ({
      field: (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.') || String((v.params as { missingProperty?: string })?.missingProperty ?? ''),
      rule: v.keyword ?? 'invalid',
    }));
    return { code: 'VALIDATION_FAILED', status: 422, details: { fields } };
  }
  if (typeof e.code === 'string' && e.code.startsWith('FST_CSRF')) return { code: 'CSRF_INVALID', status: 403, details: null };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600) {
    const code = errorCodeForStatus(e.statusCode);
    return { code, status: e.statusCode, details: null };
  }
  return { code: 'INTERNAL', status: 500, details: null };
}

/** API clients and health probes get JSON; people get a page in their language. */
export function wantsJson(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/') || request.url === '/api') return true;
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export function sendError(request: FastifyRequest, reply: FastifyReply, code: ErrorCode, status: number, details: unknown = null): FastifyReply {
  // The translator may not be set yet when the failure happened before the i18n hook ran.
  const t = request.t ?? translator(request.language);
  reply.status(status);
  if (wantsJson(request)) {
    return reply.send({ error: { code, message: t(`errors.${code}.message`), details } });
  }
  return reply.render('/web/views/error', { code, requestId: status >= 500 ? request.id : null });
}

async function errorsPlugin(fastify: FastifyInstance): Promise<void> {
  fastify.setErrorHandler((error, request, reply) => {
    const { code, status, details } = classify(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code, status }, 'request refused');
    return sendError(request, reply, code, status, details);
  });
  fastify.setNotFoundHandler((request, reply) => sendError(request, reply, 'NOT_FOUND', 404));
}

export default fp(errorsPlugin, { name: 'portal-errors', dependencies: ['portal-views'] });
