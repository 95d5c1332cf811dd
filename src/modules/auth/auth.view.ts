import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FieldError } from '../../errors.ts';

export const views = '/modules/auth/views';

/** The end of a sign-in lock as a time of day in Almaty, the portal's time zone. */
export function lockEndText(request: FastifyRequest, until: Date): string {
  return new Intl.DateTimeFormat(request.language === 'en' ? 'en-GB' : `${request.language}-KZ`, { timeStyle: 'short', timeZone: 'Asia/Almaty' }).format(until);
}

/** This module's field errors name their own translation keys ("second_factor.errors.…"). */
export function render(request: FastifyRequest, reply: FastifyReply, view: string, data: Record<string, unknown>): FastifyReply {
  const errorText = (error: FieldError) => request.t(error.rule.includes('.') ? error.rule : `validation.${error.rule}`, error.params ?? {});
  return reply.render(`${views}/${view}`, { errorText, ...data });
}
