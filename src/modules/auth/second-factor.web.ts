import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, type FieldError } from '../../errors.ts';
import { safeReturnPath } from '../../web/return-path.ts';
import { lockEndText, render } from './auth.view.ts';
import { establishSession } from './auth.web.ts';
import {
  describeEnrolment,
  disableSecondFactor,
  enableSecondFactor,
  enrolSecondFactorAtSignIn,
  findSecondFactorState,
  newTotpSecret,
  type SecondFactorState,
  type SignInCodeResult,
  verifySignInCode,
} from './second-factor.service.ts';
import { fieldErrors } from '../../web/route-helpers.ts';

declare module 'fastify' {
  interface Session {
    /**
     * A secret shown for enrolment and not yet confirmed with a code. Kept on the server (the
     * session store) rather than in the form, and tied to the user it was made for.
     */
    secondFactorEnrolment?: { userId: string; secret: string };
  }
}

/** The password step is good for this long; then the sign-in starts again. */
export const PENDING_SIGN_IN_MS = 5 * 60 * 1000;
const codeLimit = { max: 10, timeWindow: '1 minute' };

const signInCodeForm = z.object({ code: z.string().default(''), return: z.string().optional() });
const accountForm = z.object({ action: z.enum(['enable', 'disable']), code: z.string().default('') });

function forgetPendingSignIn(request: FastifyRequest): void {
  delete request.session.pendingUserId;
  delete request.session.pendingSince;
  delete request.session.secondFactorEnrolment;
}

/** The secret being enrolled for this user in this session, made on first use. */
function enrolmentSecret(request: FastifyRequest, userId: string): string {
  const current = request.session.secondFactorEnrolment;
  if (current?.userId === userId) return current.secret;
  const secret = newTotpSecret();
  request.session.secondFactorEnrolment = { userId, secret };
  return secret;
}

function pendingEnrolmentSecret(request: FastifyRequest, userId: string): string | null {
  const current = request.session.secondFactorEnrolment;
  return current?.userId === userId ? current.secret : null;
}

type PendingSignIn = { kind: 'none' } | { kind: 'expired' } | { kind: 'ready'; userId: string; state: SecondFactorState };

async function pendingSignIn(request: FastifyRequest): Promise<PendingSignIn> {
  const { pendingUserId, pendingSince } = request.session;
  if (!pendingUserId) return { kind: 'none' };
  if (pendingSince === undefined || Date.now() - pendingSince > PENDING_SIGN_IN_MS) {
    forgetPendingSignIn(request);
    return { kind: 'expired' };
  }
  const state = await findSecondFactorState(request.server.deps.db, pendingUserId);
  // Deactivated meanwhile, or no second factor asked of the user any more: the sign-in starts again.
  if (!state || (!state.enrolled && !state.required)) {
    forgetPendingSignIn(request);
    return { kind: 'none' };
  }
  return { kind: 'ready', userId: pendingUserId, state };
}

export default async function secondFactorWeb(fastify: FastifyInstance): Promise<void> {
  const { db } = fastify.deps;

  async function showSignInStep(
    request: FastifyRequest,
    reply: FastifyReply,
    pending: Extract<PendingSignIn, { kind: 'ready' }>,
    destination: string,
    errors: FieldError[] = [],
  ): Promise<FastifyReply> {
    const status = errors.length ? 422 : 200;
    const values = { return: destination };
    if (pending.state.enrolled) return render(request, reply.status(status), 'second-factor', { values, errors });
    const enrolment = await describeEnrolment(enrolmentSecret(request, pending.userId), pending.state.email);
    return render(request, reply.status(status), 'second-factor-enrol', { values, errors, enrolment });
  }

  /** Where a visitor without a usable pending sign-in goes. */
  function leave(request: FastifyRequest, reply: FastifyReply, pending: PendingSignIn, destination: string): FastifyReply {
    if (pending.kind === 'expired') {
      request.session.flash = 'second_factor.expired';
      return reply.redirect(`/sign-in?return=${encodeURIComponent(destination)}`, 303);
    }
    return reply.redirect(request.user ? destination : '/sign-in', 303);
  }

  fastify.get('/sign-in/second-factor', { config: { access: 'public' } }, async (request, reply) => {
    const destination = safeReturnPath((request.query as { return?: unknown }).return);
    const pending = await pendingSignIn(request);
    if (pending.kind !== 'ready') return leave(request, reply, pending, destination);
    return showSignInStep(request, reply, pending, destination);
  });

  fastify.post('/sign-in/second-factor', { config: { access: 'public', rateLimit: codeLimit } }, async (request, reply) => {
    const values = signInCodeForm.parse(request.body ?? {});
    const destination = safeReturnPath(values.return);
    const pending = await pendingSignIn(request);
    if (pending.kind !== 'ready') return leave(request, reply, pending, destination);

    let result: SignInCodeResult;
    if (pending.state.enrolled) {
      result = await verifySignInCode(db, { userId: pending.userId, code: values.code, requestId: request.id });
    } else {
      const secret = pendingEnrolmentSecret(request, pending.userId);
      // No secret shown in this session yet: show one.
      if (!secret) return reply.redirect(`/sign-in/second-factor?return=${encodeURIComponent(destination)}`, 303);
      result = await enrolSecondFactorAtSignIn(db, { userId: pending.userId, secret, code: values.code, requestId: request.id });
    }

    if (result.ok) {
      await establishSession(request, result.user.id);
      return reply.redirect(destination, 303);
    }
    switch (result.reason) {
      case 'locked':
        forgetPendingSignIn(request);
        return render(request, reply.status(429), 'second-factor-locked', { until: lockEndText(request, result.lockedUntil) });
      case 'unavailable':
        // The account changed since the page was shown (enrolled elsewhere, deactivated): look again.
        return reply.redirect(`/sign-in/second-factor?return=${encodeURIComponent(destination)}`, 303);
      default:
        return showSignInStep(request, reply, pending, destination, [{ field: 'code', rule: `second_factor.errors.code_${result.reason}` }]);
    }
  });

  async function showAccountPage(request: FastifyRequest, reply: FastifyReply, errors: FieldError[] = []): Promise<FastifyReply> {
    const user = request.user!;
    const state = await findSecondFactorState(db, user.id);
    if (!state) throw new AppError('NOT_FOUND');
    const status = errors.length ? 422 : 200;
    if (state.enrolled) return render(request, reply.status(status), 'two-factor', { state, errors, values: {} });
    const enrolment = await describeEnrolment(enrolmentSecret(request, user.id), state.email);
    return render(request, reply.status(status), 'two-factor-enrol', { state, errors, values: {}, enrolment });
  }

  fastify.get('/account/two-factor', { config: { access: 'signed_in' } }, async (request, reply) => showAccountPage(request, reply));

  fastify.post('/account/two-factor', { config: { access: 'signed_in', rateLimit: codeLimit } }, async (request, reply) => {
    const parsed = accountForm.safeParse(request.body ?? {});
    if (!parsed.success) throw new AppError('BAD_REQUEST', 'unknown action');
    const { action, code } = parsed.data;
    const actor = request.user!;
    try {
      if (action === 'enable') {
        const secret = pendingEnrolmentSecret(request, actor.id);
        if (!secret) return reply.redirect('/account/two-factor', 303);
        const { changed } = await enableSecondFactor(db, { actor, secret, code, requestId: request.id });
        delete request.session.secondFactorEnrolment;
        if (changed) request.session.flash = 'second_factor.enabled_notice';
      } else {
        const { changed } = await disableSecondFactor(db, { actor, code, requestId: request.id });
        if (changed) request.session.flash = 'second_factor.disabled_notice';
      }
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return showAccountPage(request, reply, errors);
    }
    return reply.redirect('/account/two-factor', 303);
  });
}
