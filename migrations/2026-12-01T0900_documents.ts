import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

export async function up(db: Kysely<any>): Promise<void> {
  // A document of an object is a pair (003 §7): the PDF/A-1 original and the DOCX draft. Each
  // upload of a pair is a new version; earlier versions stay.
  await db.schema
    .createTable('document_versions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('object_id', 'uuid', (c) => c.notNull().references('objects.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('uploaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('uploaded_by', 'uuid', (c) => c.references('users.id'))
    .addUniqueConstraint('document_versions_object_kind_version_key', ['object_id', 'kind', 'version'])
    .execute();

  // One row per file of a pair. The bytes live in the content-addressed store (by sha256); the
  // row keeps what the checks found. Status: queued → checking → accepted | rejected, or
  // check_failed (veraPDF crashed or timed out: retried, never accepted unchecked).
  await db.schema
    .createTable('document_files')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_version_id', 'uuid', (c) => c.notNull().references('document_versions.id'))
    .addColumn('slot', 'text', (c) => c.notNull().check(sql`slot IN ('pdf', 'docx')`))
    .addColumn('sha256', 'text', (c) => c.notNull().check(sql`sha256 ~ '^[0-9a-f]{64}$'`))
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('original_name', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued').check(sql`status IN ('queued', 'checking', 'accepted', 'rejected', 'check_failed')`))
    .addColumn('reasons', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('report', 'jsonb')
    .addColumn('failed_rules', 'jsonb')
    .addColumn('declared_pdfa', 'text')
    .addColumn('validated_as', 'text')
    .addColumn('page_count', 'integer')
    .addColumn('text', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('checked_at', 'timestamptz')
    .addUniqueConstraint('document_files_version_slot_key', ['document_version_id', 'slot'])
    .execute();
  await sql`CREATE INDEX document_files_pending_idx ON document_files (created_at) WHERE status IN ('queued', 'checking', 'check_failed')`.execute(db);
  await db.schema.createIndex('document_files_sha256_idx').on('document_files').column('sha256').execute();

  // Fixity: every run re-hashes the stored files; a missing or altered file raises an alert.
  await db.schema
    .createTable('fixity_runs')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('files_checked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('problems', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('fixity_alerts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('run_id', 'uuid', (c) => c.notNull().references('fixity_runs.id'))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('problem', 'text', (c) => c.notNull().check(sql`problem IN ('missing', 'mismatch')`))
    .addColumn('actual_sha256', 'text')
    .addColumn('detected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // The text of the accepted documents feeds the registry's full-text search (lowest weight).
  await sql`ALTER TABLE objects ADD COLUMN documents_text text NOT NULL DEFAULT ''`.execute(db);
  await sql`DROP INDEX objects_search_ru_idx`.execute(db);
  await sql`DROP INDEX objects_search_kk_idx`.execute(db);
  await sql`ALTER TABLE objects DROP COLUMN search_ru, DROP COLUMN search_kk`.execute(db);
  await sql`ALTER TABLE objects ADD COLUMN search_ru tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('russian', coalesce(name_ru, '') || ' ' || coalesce(short_name_ru, '')), 'A') ||
      setweight(to_tsvector('russian', coalesce(purpose_ru, '')), 'C') ||
      setweight(to_tsvector('russian', documents_text), 'D')) STORED`.execute(db);
  await sql`ALTER TABLE objects ADD COLUMN search_kk tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('simple', coalesce(name_kk, '') || ' ' || coalesce(short_name_kk, '')), 'A') ||
      setweight(to_tsvector('simple', coalesce(purpose_kk, '')), 'C') ||
      setweight(to_tsvector('simple', documents_text), 'D')) STORED`.execute(db);
  await sql`CREATE INDEX objects_search_ru_idx ON objects USING gin (search_ru)`.execute(db);
  await sql`CREATE INDEX objects_search_kk_idx ON objects USING gin (search_kk)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX objects_search_ru_idx`.execute(db);
  await sql`DROP INDEX objects_search_kk_idx`.execute(db);
  await sql`ALTER TABLE objects DROP COLUMN search_ru, DROP COLUMN search_kk`.execute(db);
  await sql`ALTER TABLE objects ADD COLUMN search_ru tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('russian', coalesce(name_ru, '') || ' ' || coalesce(short_name_ru, '')), 'A') ||
      setweight(to_tsvector('russian', coalesce(purpose_ru, '')), 'C')) STORED`.execute(db);
  await sql`ALTER TABLE objects ADD COLUMN search_kk tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('simple', coalesce(name_kk, '') || ' ' || coalesce(short_name_kk, '')), 'A') ||
      setweight(to_tsvector('simple', coalesce(purpose_kk, '')), 'C')) STORED`.execute(db);
  await sql`CREATE INDEX objects_search_ru_idx ON objects USING gin (search_ru)`.execute(db);
  await sql`CREATE INDEX objects_search_kk_idx ON objects USING gin (search_kk)`.execute(db);
  await sql`ALTER TABLE objects DROP COLUMN documents_text`.execute(db);
  await db.schema.dropTable('fixity_alerts').execute();
  await db.schema.dropTable('fixity_runs').execute();
  await db.schema.dropTable('document_files').execute();
  await db.schema.dropTable('document_versions').execute();
}
