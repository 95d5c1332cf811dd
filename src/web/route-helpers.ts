import type { z } from 'zod';
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
