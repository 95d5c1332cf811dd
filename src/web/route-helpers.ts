import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuthUser } from '../access/permissions.ts';
import { AppError, type FieldError } from '../errors.ts';

/** Path parameters of a page: a malformed one names no record, so the answer is NOT_FOUND. */
export function parseParams<T>(schema: z.ZodType<T>, params: unknown): T {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw new AppError('NOT_FOUND');
  return parsed.data;
}

/** The field errors of a service's VALIDATION_FAILED, for a form shown again; null for any other error. */
export function fieldErrors(error: unknown): FieldError[] | null {
  if (error instanceof AppError && error.code === 'VALIDATION_FAILED') return (error.details as { fields: FieldError[] }).fields;
  return null;
}

/** The signed-in user of a route that declared a permission (the access check has run already). */
export function requireUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw new AppError('UNAUTHENTICATED');
  return request.user;
}

/** The details of a service's CONFLICT (why it refused, and the current version where it has one); null for any other error. */
export function conflictDetails(error: unknown): { reason: string; currentVersion?: number } | null {
  if (!(error instanceof AppError) || error.code !== 'CONFLICT') return null;
  return error.details as { reason: string; currentVersion?: number };
}
