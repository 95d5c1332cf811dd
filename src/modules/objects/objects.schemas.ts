/**
 * The objects' pages read their addresses and query strings with these (the passport form itself
 * is read by passport-form.ts, field by field, so that nothing typed is lost).
 */
import { z } from 'zod';
import { DUTY_STATUS_FILTERS } from './update-duty.ts';

export const objectIdParams = z.object({ id: z.guid() });

export const versionComparisonParams = z.object({
  id: z.guid(),
  from: z.coerce.number().int().min(1).max(1_000_000),
  to: z.coerce.number().int().min(1).max(1_000_000),
});

/** The duties list's filter; anything unknown means the default, never an error. */
export const dutiesQuerySchema = z.object({
  status: z.enum(DUTY_STATUS_FILTERS).catch('open'),
  organization: z.guid().optional().catch(undefined),
  cursor: z.string().max(500).optional().catch(undefined),
});
