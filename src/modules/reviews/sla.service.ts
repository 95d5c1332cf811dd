/** The cases as the review-deadline report (sla-report.ts) reads them: who decided, and when (003 §8). */
import type { Kysely } from 'kysely';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import type { Database } from '../../db/database.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { slaCaseRows } from './reviews.repository.ts';

export async function slaCases(db: Kysely<Database>, actor: AuthUser | null | undefined) {
  requirePermission(actor, 'reviews.read');
  return (await slaCaseRows(db)).map((row) => ({
    id: row.id,
    receivedAt: row.submittedAt,
    dueOn: toAlmatyDate(row.dueAt),
    decidedAt: row.decidedAt,
    decision: row.status === 'approved' ? ('approved' as const) : row.status === 'returned' ? ('returned' as const) : null,
    reviewerId: row.reviewerId,
    reviewerName: row.reviewerName,
  }));
}
