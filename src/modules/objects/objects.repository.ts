/**
 * The objects module's SQL: the tables objects, object_versions, lifecycle_events and
 * update_duties are written here and nowhere else. Functions take the database or a transaction;
 * those that lock rows take a Transaction, so a caller must have opened one.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, ObjectsTable } from '../../db/database.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export type ObjectRow = Selectable<ObjectsTable>;

/** Where the object stands with the service integrator (003 §8): set by the review workflow. */
export type ObjectReviewStatus = 'submitted' | 'returned' | 'accepted';

/** The object's row, locked for the transaction's rest when `lock` is set. */
export async function findObjectRow(db: Executor, id: string, options: { lock?: boolean } = {}): Promise<ObjectRow | undefined> {
  let query = db.selectFrom('objects').selectAll().where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function setReviewStatus(trx: Transaction<Database>, objectId: string, status: Exclude<ObjectReviewStatus, 'accepted'>): Promise<void> {
  await trx.updateTable('objects').set({ review_status: status }).where('id', '=', objectId).execute();
}

/** An approval (003 §8): the object is accepted, with its account code and the case that approved it. */
export async function recordObjectApproval(trx: Transaction<Database>, objectId: string, approval: { accountCode: string; caseId: string }): Promise<void> {
  await trx
    .updateTable('objects')
    .set({ review_status: 'accepted', account_code: approval.accountCode, approved_case_id: approval.caseId })
    .where('id', '=', objectId)
    .execute();
}

/** The text of the object's accepted documents, which the registry search reads (documents module keeps it current). */
export async function setDocumentsText(trx: Transaction<Database>, objectId: string, text: string): Promise<void> {
  await trx.updateTable('objects').set({ documents_text: text }).where('id', '=', objectId).execute();
}
