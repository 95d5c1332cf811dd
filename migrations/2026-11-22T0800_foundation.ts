import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('bin', 'char(12)', (c) => c.notNull().unique().check(sql`bin ~ '^[0-9]{12}$'`))
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind IN ('central_state_body', 'local_executive_body', 'state_legal_entity', 'quasi_public_entity')`),
    )
    .addColumn('name_kk', 'text', (c) => c.notNull().check(sql`length(trim(name_kk)) > 0`))
    .addColumn('name_ru', 'text', (c) => c.notNull().check(sql`length(trim(name_ru)) > 0`))
    .addColumn('name_en', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('email', 'text', (c) => c.notNull().check(sql`email = lower(email) AND position('@' in email) > 1`))
    .addColumn('surname', 'text', (c) => c.notNull())
    .addColumn('given_name', 'text', (c) => c.notNull())
    .addColumn('patronymic', 'text')
    .addColumn('position', 'text')
    .addColumn('phone', 'text')
    .addColumn('role', 'text', (c) =>
      c.notNull().check(sql`role IN ('staff', 'reviewer', 'auditor', 'admin', 'authorized_officer')`),
    )
    .addColumn('organization_id', 'uuid', (c) => c.references('organizations.id').onDelete('restrict'))
    .addColumn('password_hash', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending_activation').check(sql`status IN ('pending_activation', 'active', 'deactivated')`),
    )
    .addColumn('preferred_language', 'text', (c) => c.check(sql`preferred_language IN ('kk', 'ru', 'en')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // State-body staff act for exactly one organization (003 §5); scoping depends on it.
    .addCheckConstraint('users_staff_have_organization', sql`role <> 'staff' OR organization_id IS NOT NULL`)
    .execute();
  await db.schema.createIndex('users_email_unique').on('users').column('email').unique().execute();
  await db.schema.createIndex('users_organization_idx').on('users').column('organization_id').execute();

  await sql`CREATE SEQUENCE audit_events_id_seq AS bigint`.execute(db);
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('actor_user_id', 'uuid')
    .addColumn('actor_organization_id', 'uuid')
    .addColumn('actor_label', 'text')
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .addColumn('request_id', 'text')
    .addColumn('prev_hash', 'char(64)', (c) => c.notNull())
    .addColumn('hash', 'char(64)', (c) => c.notNull().unique())
    .addCheckConstraint('audit_events_has_actor', sql`actor_user_id IS NOT NULL OR actor_label IS NOT NULL`)
    .execute();
  await db.schema.createIndex('audit_events_entity_idx').on('audit_events').columns(['entity_type', 'entity_id', 'id']).execute();
  await db.schema.createIndex('audit_events_actor_idx').on('audit_events').columns(['actor_user_id', 'id']).execute();

  // The audit log is append-only at the database level too: no role, not even the application's,
  // can change or remove a record without first disabling these triggers (which needs ownership
  // and is itself visible in the server log).
  await sql`
    CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`.execute(db);
  await sql`
    CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
  await sql`DROP FUNCTION audit_events_refuse_change()`.execute(db);
  await sql`DROP SEQUENCE audit_events_id_seq`.execute(db);
  await db.schema.dropTable('users').execute();
  await db.schema.dropTable('organizations').execute();
}
