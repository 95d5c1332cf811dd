import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, type FieldError } from '../../errors.ts';
import { safeReturnPath } from '../../web/return-path.ts';
import {
  activateAccount,
  changePassword,
  getOwnAccount,
  isTokenValid,
  recordSignOut,
  requestPasswordReset,
  resetPassword,
  signIn,
} from './auth.service.ts';
import { lockEndText, views } from './auth.view.ts';
import { fieldErrors } from '../../web/route-helpers.ts';

const signInLimit = { max: 10, timeWindow: '1 minute' };

const signInForm = z.object({ email: z.string().default(''), password: z.string().default(''), return: z.string().optional() });
const passwordForm = z.object({ password: z.string().default(''), password_confirmation: z.string().default('') });
const changeForm = passwordForm.extend({ current: z.string().default('') });
const emailForm = z.object({ email: z.string().default('') });
const tokenParams = z.object({ token: z.string().min(20).max(100) });

function required(values: Record<string, string>, names: string[]): FieldError[] {
  return names.filter((name) => !values[name]?.trim()).map((field) => ({ field, rule: 'required' }));
}

/** Signs the user in on this session: a new session id (no fixation), then the user. */
export async function establishSession(request: FastifyRequest, userId: string): Promise<void> {
  await request.session.regenerate();
  const now = Date.now();
  request.session.userId = userId;
  request.session.signedInAt = now;
  request.session.lastSeenAt = now;
}

export default async function authWeb(fastify: FastifyInstance): Promise<void> {
  const { db, config } = fastify.deps;
  // Offered when a trust store is set (PKI_TRUST_DIR, or the demo CA in development).
  const ecp = config.pki !== null;

  fastify.get('/sign-in', { config: { access: 'public' } }, async (request, reply) => {
    if (request.user) return reply.redirect('/', 303);
    const query = request.query as { return?: string };
    return reply.render(`${views}/sign-in`, { values: { return: safeReturnPath(query.return) }, ecp });
  });

  fastify.post('/sign-in', { config: { access: 'public', rateLimit: signInLimit } }, async (request, reply) => {
    const values = signInForm.parse(request.body ?? {});
    const errors = required(values as Record<string, string>, ['email', 'password']);
    if (errors.length) return reply.status(422).render(`${views}/sign-in`, { values, errors, ecp });
    const result = await signIn(db, { email: values.email, password: values.password, requestId: request.id });
    if (!result.ok) {
      const error: FieldError =
        result.reason === 'locked'
          ? { field: 'email', rule: 'sign_in_locked', params: { until: lockEndText(request, result.lockedUntil) } }
          : { field: 'email', rule: 'sign_in_invalid' };
      return reply.status(result.reason === 'locked' ? 429 : 422).render(`${views}/sign-in`, { values: { ...values, password: '' }, errors: [error], ecp });
    }
    const destination = safeReturnPath(values.return);
    if (result.secondFactorRequired) {
      await request.session.regenerate();
      request.session.pendingUserId = result.user.id;
      request.session.pendingSince = Date.now();
      return reply.redirect(`/sign-in/second-factor?return=${encodeURIComponent(destination)}`, 303);
    }
    await establishSession(request, result.user.id);
    return reply.redirect(destination, 303);
  });

  fastify.post('/sign-out', { config: { access: 'signed_in' } }, async (request, reply) => {
    await recordSignOut(db, request.user!, false, request.id);
    await request.session.destroy();
    return reply.redirect('/', 303);
  });

  fastify.post('/account/sign-out-everywhere', { config: { access: 'signed_in' } }, async (request, reply) => {
    await recordSignOut(db, request.user!, true, request.id);
    await request.session.destroy();
    return reply.redirect('/sign-in', 303);
  });

  fastify.get('/account', { config: { access: 'signed_in' } }, async (request, reply) => {
    return reply.render(`${views}/account`, { account: await getOwnAccount(db, request.user) });
  });

  fastify.get('/account/password', { config: { access: 'signed_in' } }, async (_request, reply) => reply.render(`${views}/change-password`, { values: {} }));

  fastify.post('/account/password', { config: { access: 'signed_in', rateLimit: signInLimit } }, async (request, reply) => {
    const values = changeForm.parse(request.body ?? {});
    try {
      await changePassword(db, request.user!, {
        current: values.current,
        password: values.password,
        confirmation: values.password_confirmation,
        currentSid: request.session.sessionId,
        requestId: request.id,
      });
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return reply.status(422).render(`${views}/change-password`, { values: {}, errors });
    }
    request.session.flash = 'auth.password_changed';
    return reply.redirect('/account', 303);
  });

  fastify.get('/password/forgot', { config: { access: 'public' } }, async (_request, reply) => reply.render(`${views}/forgot-password`, { values: {} }));

  fastify.post('/password/forgot', { config: { access: 'public', rateLimit: { max: 5, timeWindow: '1 minute' } } }, async (request, reply) => {
    const values = emailForm.parse(request.body ?? {});
    const errors = required(values, ['email']);
    if (errors.length) return reply.status(422).render(`${views}/forgot-password`, { values, errors });
    await requestPasswordReset(db, { email: values.email, baseUrl: config.baseUrl, requestId: request.id });
    // The same answer whether or not the address has an account.
    return reply.render(`${views}/forgot-password-sent`, { email: values.email.trim() });
  });

  for (const purpose of ['activation', 'password_reset'] as const) {
    const path = purpose === 'activation' ? '/activate/:token' : '/password/reset/:token';
    const view = `${views}/set-password`;
    const run = purpose === 'activation' ? activateAccount : resetPassword;

    fastify.get(path, { config: { access: 'public' } }, async (request: FastifyRequest, reply: FastifyReply) => {
      const params = tokenParams.safeParse(request.params);
      const valid = params.success && (await isTokenValid(db, params.data.token, purpose));
      if (!valid) return reply.status(404).render(`${views}/link-invalid`, { purpose });
      return reply.render(view, { purpose, values: {} });
    });

    fastify.post(path, { config: { access: 'public', rateLimit: signInLimit } }, async (request: FastifyRequest, reply: FastifyReply) => {
      const params = tokenParams.safeParse(request.params);
      if (!params.success) return reply.status(404).render(`${views}/link-invalid`, { purpose });
      const values = passwordForm.parse(request.body ?? {});
      try {
        await run(db, { token: params.data.token, password: values.password, confirmation: values.password_confirmation, requestId: request.id });
      } catch (error) {
        const errors = fieldErrors(error);
        if (errors) return reply.status(422).render(view, { purpose, values: {}, errors });
        if (error instanceof AppError && error.code === 'NOT_FOUND') return reply.status(404).render(`${views}/link-invalid`, { purpose });
        throw error;
      }
      request.session.flash = purpose === 'activation' ? 'auth.activated' : 'auth.password_reset_done';
      return reply.redirect('/sign-in', 303);
    });
  }
}
