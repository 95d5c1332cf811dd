import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FieldError } from '../../errors.ts';
import { safeReturnPath } from '../../web/return-path.ts';
import { render } from './auth.view.ts';
import { establishSession } from './auth.web.ts';
import { type CertificatePerson, completeEcpSignIn, type EcpRefusal, loadEcpVerification, startEcpSignIn } from './ecp-sign-in.service.ts';

const signInLimit = { max: 10, timeWindow: '1 minute' };
const ecpForm = z.object({ nonce: z.string().max(200).default(''), cms: z.string().max(200_000).default(''), return: z.string().optional() });

// The kept NCALayer client (sigex-kz/ncalayer-js-client), served as the page's own script: the
// CSP allows scripts from the portal only.
const ncaLayerClient = readFileSync(createRequire(import.meta.url).resolve('ncalayer-js-client'));

/** Refusals caused by the certificate or the account (403), not by a stale page (422). */
const FORBIDDEN: ReadonlySet<EcpRefusal> = new Set(['unknown_ca', 'expired', 'not_yet_valid', 'revoked', 'wrong_key_usage', 'unknown_iin', 'other_organization', 'account_inactive']);

/** The account-request form prefilled from the certificate of someone with no account yet. */
function accountRequestLink(person: CertificatePerson): string {
  const query = new URLSearchParams();
  if (person.surname) query.set('surname', person.surname);
  if (person.givenName) query.set('given_name', person.givenName);
  if (person.bin) query.set('bin', person.bin);
  return `/account-requests/new?${query.toString()}`;
}

export default async function ecpSignInWeb(fastify: FastifyInstance): Promise<void> {
  const { db, config } = fastify.deps;
  const verification = await loadEcpVerification(config.pki);

  fastify.get('/static/vendor/ncalayer-client.js', { config: { access: 'public' } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', config.env === 'production' ? 'public, max-age=86400' : 'no-cache').send(ncaLayerClient),
  );

  async function showPage(request: FastifyRequest, reply: FastifyReply, destination: string, errors: FieldError[] = [], extra: Record<string, unknown> = {}): Promise<FastifyReply> {
    if (!verification) return render(request, reply.status(404), 'ecp-sign-in-off', {});
    const challenge = await startEcpSignIn(db);
    return render(request, reply, 'ecp-sign-in', { values: { return: destination }, errors, nonce: challenge.nonce, ncaLayerUrl: config.ncaLayerUrl, ...extra });
  }

  fastify.get('/sign-in/ecp', { config: { access: 'public' } }, async (request, reply) => {
    const destination = safeReturnPath((request.query as { return?: unknown }).return);
    if (request.user) return reply.redirect(destination, 303);
    return showPage(request, reply, destination);
  });

  fastify.post('/sign-in/ecp', { config: { access: 'public', rateLimit: signInLimit } }, async (request, reply) => {
    const values = ecpForm.parse(request.body ?? {});
    const destination = safeReturnPath(values.return);
    if (!verification) return showPage(request, reply, destination);
    const result = await completeEcpSignIn(db, verification, { nonce: values.nonce, cms: values.cms.trim(), requestId: request.id });
    if (!result.ok) {
      reply.status(FORBIDDEN.has(result.reason) ? 403 : 422);
      const extra = result.person ? { accountRequestLink: accountRequestLink(result.person) } : {};
      return showPage(request, reply, destination, [{ field: 'ecp', rule: `auth.ecp.errors.${result.reason}` }], extra);
    }
    await establishSession(request, result.user.id);
    return reply.redirect(destination, 303);
  });
}
