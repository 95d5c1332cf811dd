import { randomUUID } from 'node:crypto';
import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.ts';

/** The request path for the log: no query string, and long opaque segments (tokens) hidden. */
export function redactPath(url: string): string {
  return (url.split('?')[0] ?? '').replace(/\/[A-Za-z0-9_-]{40,}(?=\/|$)/g, '/[redacted]');
}

/**
 * The one place fastify's own options are decided, used by the server and by every test, so tests
 * parse, coerce and log exactly as production does.
 */
export function buildServerOptions(config: Pick<Config, 'logLevel' | 'env' | 'uploadLimitBytes'>): FastifyServerOptions {
  return {
    logger: {
      level: config.env === 'test' ? 'silent' : config.logLevel,
      // Cookies carry sessions; forms and headers can carry personal data. Neither goes to the log.
      redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'], remove: true },
      serializers: {
        // The query string may hold e-mail addresses or tokens: log the path only, and without
        // the single-use tokens of activation and reset links.
        req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, path: redactPath(req.url) }),
      },
    },
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    trustProxy: true,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
  };
}
