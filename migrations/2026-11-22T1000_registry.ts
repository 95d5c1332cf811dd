import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);

  // The current state of each informatization object; every saved change is also kept whole in
  // object_versions. Names and purpose are copied out of the passport for search and sorting.
  await db.schema
    .createTable('objects')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id'))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('passport', 'jsonb', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('class', 'smallint', (c) => c.notNull().check(sql`class IN (1, 2, 3)`))
    .addColumn('name_kk', 'text', (c) => c.notNull())
    .addColumn('name_ru', 'text', (c) => c.notNull())
    .addColumn('short_name_kk', 'text')
    .addColumn('short_name_ru', 'text')
    .addColumn('purpose_kk', 'text', (c) => c.notNull())
    .addColumn('purpose_ru', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull().check(sql`stage IN ('creation', 'industrial_operation', 'development', 'termination')`))
    .addColumn('step', 'text')
    .addColumn('commissioned_on', 'date')
    .addColumn('terminated_on', 'date')
    // Review by the service integrator (its own issue); every object starts as a draft.
    .addColumn('review_status', 'text', (c) => c.notNull().defaultTo('draft'))
    .addColumn('account_code', 'text', (c) => c.unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_by', 'uuid', (c) => c.references('users.id'))
    .addCheckConstraint('objects_step_matches_stage', sql`(stage IN ('creation', 'development')) = (step IS NOT NULL)`)
    .execute();
  // Russian words are stemmed ("системы" finds "система"); Kazakh has no stemmer in PostgreSQL, so
  // its words are matched whole (simple) and by trigrams for partial words.
  await sql`ALTER TABLE objects ADD COLUMN search_ru tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('russian', coalesce(name_ru, '') || ' ' || coalesce(short_name_ru, '')), 'A') ||
      setweight(to_tsvector('russian', coalesce(purpose_ru, '')), 'C')) STORED`.execute(db);
  await sql`ALTER TABLE objects ADD COLUMN search_kk tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('simple', coalesce(name_kk, '') || ' ' || coalesce(short_name_kk, '')), 'A') ||
      setweight(to_tsvector('simple', coalesce(purpose_kk, '')), 'C')) STORED`.execute(db);
  await sql`ALTER TABLE objects ADD COLUMN search_text text GENERATED ALWAYS AS (
      lower(name_kk || ' ' || name_ru || ' ' || coalesce(short_name_kk, '') || ' ' || coalesce(short_name_ru, ''))) STORED`.execute(db);
  await sql`CREATE INDEX objects_search_ru_idx ON objects USING gin (search_ru)`.execute(db);
  await sql`CREATE INDEX objects_search_kk_idx ON objects USING gin (search_kk)`.execute(db);
  await sql`CREATE INDEX objects_search_text_trgm_idx ON objects USING gin (search_text gin_trgm_ops)`.execute(db);
  await db.schema.createIndex('objects_organization_idx').on('objects').columns(['organization_id', 'updated_at', 'id']).execute();
  await db.schema.createIndex('objects_updated_idx').on('objects').columns(['updated_at', 'id']).execute();
  await db.schema.createIndex('objects_name_ru_idx').on('objects').columns(['name_ru', 'id']).execute();
  await db.schema.createIndex('objects_kind_idx').on('objects').columns(['kind', 'class', 'stage']).execute();

  await db.schema
    .createTable('object_versions')
    .addColumn('object_id', 'uuid', (c) => c.notNull().references('objects.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('passport', 'jsonb', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('step', 'text')
    /** The day the information changed in reality (003 §9); the update duty counts from it. */
    .addColumn('information_changed_on', 'date', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('changed_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('note', 'text')
    .addPrimaryKeyConstraint('object_versions_pk', ['object_id', 'version'])
    .execute();

  // Lifecycle moves as they happened in reality (004 §9–19), with who recorded them and when.
  await db.schema
    .createTable('lifecycle_events')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('object_id', 'uuid', (c) => c.notNull().references('objects.id'))
    .addColumn('move', 'text', (c) => c.notNull())
    .addColumn('from_stage', 'text', (c) => c.notNull())
    .addColumn('from_step', 'text')
    .addColumn('to_stage', 'text', (c) => c.notNull())
    .addColumn('to_step', 'text')
    .addColumn('occurred_on', 'date', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('recorded_by', 'uuid', (c) => c.references('users.id'))
    .execute();
  await db.schema.createIndex('lifecycle_events_object_idx').on('lifecycle_events').columns(['object_id', 'occurred_on']).execute();

  // The update duty (003 §9): information changed (or found missing) on changed_on must be on the
  // portal within 10 working days. Open until fulfilled; the record of timeliness stays.
  await db.schema
    .createTable('update_duties')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('object_id', 'uuid', (c) => c.notNull().references('objects.id'))
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id'))
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source IN ('information_changed', 'lifecycle_move', 'reviewer_report')`))
    .addColumn('description', 'text')
    .addColumn('changed_on', 'date', (c) => c.notNull())
    .addColumn('due_on', 'date', (c) => c.notNull())
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('opened_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('fulfilled_at', 'timestamptz')
    .addColumn('fulfilled_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('fulfilled_version', 'integer')
    .execute();
  await sql`CREATE INDEX update_duties_open_idx ON update_duties (organization_id, due_on) WHERE fulfilled_at IS NULL`.execute(db);
  await db.schema.createIndex('update_duties_object_idx').on('update_duties').columns(['object_id', 'opened_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('update_duties').execute();
  await db.schema.dropTable('lifecycle_events').execute();
  await db.schema.dropTable('object_versions').execute();
  await db.schema.dropTable('objects').execute();
}
