import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

export async function up(db: Kysely<any>): Promise<void> {
  // A review case (003 §8): one complete submission of an object, frozen as submitted, checked by
  // the service integrator within 5 working days. Returned cases stay; a resubmission opens a new one.
  await db.schema
    .createTable('review_cases')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('object_id', 'uuid', (c) => c.notNull().references('objects.id'))
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('registration', 'update')`))
    .addColumn('object_version', 'integer', (c) => c.notNull())
    // What was submitted, exactly: passport, lifecycle state and the accepted documents' files.
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('submitted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('submitted_by', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status IN ('open', 'returned', 'approved')`))
    .addColumn('taken_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('taken_at', 'timestamptz')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('decided_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('decision_note', 'text')
    .addColumn('reminder_sent_at', 'timestamptz')
    .execute();
  // At most one open case per object.
  await sql`CREATE SEQUENCE review_case_number_seq`.execute(db);
  await sql`CREATE UNIQUE INDEX review_cases_one_open_idx ON review_cases (object_id) WHERE status = 'open'`.execute(db);
  await sql`CREATE INDEX review_cases_queue_idx ON review_cases (status, due_at)`.execute(db);
  await db.schema.createIndex('review_cases_object_idx').on('review_cases').columns(['object_id', 'submitted_at']).execute();

  // A reviewer's remark on one passport field, one document kind, or the submission as a whole.
  await db.schema
    .createTable('review_comments')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('case_id', 'uuid', (c) => c.notNull().references('review_cases.id'))
    .addColumn('target_type', 'text', (c) => c.notNull().check(sql`target_type IN ('field', 'document', 'general')`))
    .addColumn('target', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('author_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('review_comments_case_idx').on('review_comments').columns(['case_id', 'created_at']).execute();

  // Account codes (003 §4.5): one counter per year of assignment; a code, once assigned, is never
  // assigned again (objects.account_code is unique) nor changed.
  await db.schema
    .createTable('account_code_counters')
    .addColumn('year', 'integer', (c) => c.primaryKey())
    .addColumn('last_value', 'integer', (c) => c.notNull())
    .execute();

  // Documents the portal issues (002): the extract with its unique number, verifiable by number and BIN.
  await db.schema
    .createTable('issued_documents')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('registration_extract')`))
    .addColumn('object_id', 'uuid', (c) => c.notNull().references('objects.id'))
    .addColumn('case_id', 'uuid', (c) => c.notNull().references('review_cases.id'))
    .addColumn('account_code', 'text', (c) => c.notNull())
    .addColumn('owner_bin', 'text', (c) => c.notNull())
    .addColumn('issued_on', 'date', (c) => c.notNull())
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('approved_by', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('pdf_sha256', 'text', (c) => c.notNull())
    .addColumn('pdf_size_bytes', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('issued_documents_object_idx').on('issued_documents').columns(['object_id', 'issued_at']).execute();

  await sql`ALTER TABLE objects ADD COLUMN approved_case_id uuid REFERENCES review_cases(id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE objects DROP COLUMN approved_case_id`.execute(db);
  await db.schema.dropTable('issued_documents').execute();
  await db.schema.dropTable('account_code_counters').execute();
  await db.schema.dropTable('review_comments').execute();
  await db.schema.dropTable('review_cases').execute();
  await sql`DROP SEQUENCE review_case_number_seq`.execute(db);
}
