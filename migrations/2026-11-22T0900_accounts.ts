import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('failed_sign_ins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'timestamptz')
    .addColumn('totp_secret', 'text')
    .addColumn('totp_enabled_at', 'timestamptz')
    // The last accepted 30-second step: a code is accepted once only (RFC 6238 §5.2).
    .addColumn('totp_last_step', 'bigint')
    .addColumn('iin', 'char(12)', (c) => c.check(sql`iin ~ '^[0-9]{12}$'`))
    .addColumn('password_changed_at', 'timestamptz')
    .addColumn('last_sign_in_at', 'timestamptz')
    .execute();

  // Server-side sessions; the cookie carries only the signed id.
  await db.schema
    .createTable('sessions')
    .addColumn('sid', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires_idx').on('sessions').column('expires_at').execute();

  // Single-use links (activation, password reset); only a hash of the token is kept.
  await db.schema
    .createTable('auth_tokens')
    .addColumn('token_hash', 'char(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose IN ('activation', 'password_reset')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('auth_tokens_user_idx').on('auth_tokens').columns(['user_id', 'purpose']).execute();

  // Outgoing mail is written in the same transaction as the change that causes it, then sent by a job.
  await db.schema
    .createTable('mail_outbox')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body_text', 'text', (c) => c.notNull())
    .addColumn('body_html', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text')
    .addColumn('entity_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status IN ('pending', 'sent', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('sent_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('mail_outbox_status_idx').on('mail_outbox').columns(['status', 'created_at']).execute();
  await db.schema.createIndex('mail_outbox_recipient_idx').on('mail_outbox').columns(['recipient', 'created_at']).execute();

  // The working-day calendar: one row per year of data that administrators keep (rules are code).
  await db.schema
    .createTable('calendar_years')
    .addColumn('year', 'integer', (c) => c.primaryKey().check(sql`year BETWEEN 2000 AND 2100`))
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_by', 'uuid', (c) => c.references('users.id'))
    .execute();

  // Account requests (003 §6, Annex 2): one organization, one or more people.
  await sql`CREATE SEQUENCE account_request_number_seq AS bigint`.execute(db);
  await db.schema
    .createTable('account_requests')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('number', 'text', (c) => c.notNull().unique())
    .addColumn('organization_name', 'text', (c) => c.notNull())
    .addColumn('organization_bin', 'char(12)', (c) => c.notNull())
    .addColumn('organization_kind', 'text', (c) =>
      c.notNull().check(sql`organization_kind IN ('central_state_body', 'local_executive_body', 'state_legal_entity', 'quasi_public_entity')`),
    )
    .addColumn('organization_id', 'uuid', (c) => c.references('organizations.id'))
    .addColumn('contact_name', 'text', (c) => c.notNull())
    .addColumn('contact_email', 'text', (c) => c.notNull())
    .addColumn('contact_phone', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull().check(sql`language IN ('kk', 'ru', 'en')`))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status IN ('open', 'closed')`))
    .addColumn('closed_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('account_requests_status_due_idx').on('account_requests').columns(['status', 'due_at']).execute();

  await db.schema
    .createTable('account_request_people')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('request_id', 'uuid', (c) => c.notNull().references('account_requests.id'))
    .addColumn('position_no', 'integer', (c) => c.notNull())
    .addColumn('division', 'text', (c) => c.notNull())
    .addColumn('surname', 'text', (c) => c.notNull())
    .addColumn('given_name', 'text', (c) => c.notNull())
    .addColumn('patronymic', 'text')
    .addColumn('position', 'text', (c) => c.notNull())
    .addColumn('iin', 'char(12)', (c) => c.notNull().check(sql`iin ~ '^[0-9]{12}$'`))
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull().check(sql`email = lower(email)`))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull().defaultTo('pending').check(sql`decision IN ('pending', 'approved', 'rejected')`))
    .addColumn('rejection_reason', 'text')
    .addColumn('decided_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('decided_at', 'timestamptz')
    .addColumn('user_id', 'uuid', (c) => c.references('users.id'))
    .addUniqueConstraint('account_request_people_position_unique', ['request_id', 'position_no'])
    .addCheckConstraint('account_request_people_rejection_has_reason', sql`decision <> 'rejected' OR length(trim(rejection_reason)) > 0`)
    .execute();
  // One pending request per e-mail at a time: the form's check, enforced where races cannot slip past.
  await sql`CREATE UNIQUE INDEX account_request_people_pending_email ON account_request_people (email) WHERE decision = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('account_request_people').execute();
  await db.schema.dropTable('account_requests').execute();
  await sql`DROP SEQUENCE account_request_number_seq`.execute(db);
  await db.schema.dropTable('calendar_years').execute();
  await db.schema.dropTable('mail_outbox').execute();
  await db.schema.dropTable('auth_tokens').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema
    .alterTable('users')
    .dropColumn('failed_sign_ins')
    .dropColumn('locked_until')
    .dropColumn('totp_secret')
    .dropColumn('totp_enabled_at')
    .dropColumn('totp_last_step')
    .dropColumn('iin')
    .dropColumn('password_changed_at')
    .dropColumn('last_sign_in_at')
    .execute();
}
