import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

/**
 * Stamps for the object page's cache. Every change to what an object's page shows moves a stamp,
 * by triggers in the same transaction as the change, so no code path (a service, the check worker,
 * an import, a hand-written SQL fix) can change what a page shows and leave a kept copy in use:
 *  - object_page_stamps: one row per object, moved by the object itself and by every row that
 *    belongs to it (versions, lifecycle events, duties, documents and their files, review cases,
 *    their comments, issued extracts);
 *  - page_reference_stamp: one row, moved by what many pages show — organizations, people's names,
 *    the working-day calendar, and objects' names and owners (an integrated object's name is shown on
 *    the pages of the objects integrated with it, to staff only when it is their organization's).
 * Stamps are plain rows, not sequences: a sequence moves before its transaction commits, and a page
 * read meanwhile would be kept under the new stamp with the old data.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('object_page_stamps')
    .addColumn('object_id', 'uuid', (c) => c.primaryKey().references('objects.id').onDelete('cascade'))
    .addColumn('stamp', 'bigint', (c) => c.notNull().defaultTo(1))
    .execute();
  await sql`INSERT INTO object_page_stamps (object_id) SELECT id FROM objects`.execute(db);

  await db.schema
    .createTable('page_reference_stamp')
    .addColumn('id', 'boolean', (c) => c.primaryKey().defaultTo(true).check(sql`id`))
    .addColumn('stamp', 'bigint', (c) => c.notNull().defaultTo(1))
    .execute();
  await sql`INSERT INTO page_reference_stamp DEFAULT VALUES`.execute(db);

  await sql`
    CREATE FUNCTION object_page_stamp_bump(target uuid) RETURNS void LANGUAGE sql AS $$
      UPDATE object_page_stamps SET stamp = stamp + 1 WHERE object_id = target
    $$`.execute(db);
  await sql`
    CREATE FUNCTION page_reference_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE page_reference_stamp SET stamp = stamp + 1;
      RETURN NULL;
    END $$`.execute(db);

  // The object itself: a new object gets its stamp; any change to it moves the stamp.
  await sql`
    CREATE FUNCTION objects_page_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO object_page_stamps (object_id) VALUES (NEW.id) ON CONFLICT (object_id) DO NOTHING;
      ELSE
        PERFORM object_page_stamp_bump(NEW.id);
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER objects_page_stamp AFTER INSERT OR UPDATE ON objects FOR EACH ROW EXECUTE FUNCTION objects_page_stamp()`.execute(db);
  await sql`
    CREATE TRIGGER objects_names_page_reference_stamp AFTER UPDATE ON objects FOR EACH ROW
      WHEN (OLD.name_kk IS DISTINCT FROM NEW.name_kk OR OLD.name_ru IS DISTINCT FROM NEW.name_ru OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)
      EXECUTE FUNCTION page_reference_stamp_bump()`.execute(db);

  // Rows that carry their object's id.
  await sql`
    CREATE FUNCTION object_row_page_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM object_page_stamp_bump(OLD.object_id); END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM object_page_stamp_bump(NEW.object_id); END IF;
      RETURN NULL;
    END $$`.execute(db);
  for (const table of ['object_versions', 'lifecycle_events', 'update_duties', 'document_versions', 'review_cases', 'issued_documents']) {
    await sql`CREATE TRIGGER ${sql.raw(`${table}_page_stamp`)} AFTER INSERT OR UPDATE OR DELETE ON ${sql.table(table)} FOR EACH ROW EXECUTE FUNCTION object_row_page_stamp()`.execute(db);
  }

  // A document's files (their check status changes as the check worker runs).
  await sql`
    CREATE FUNCTION document_file_page_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM object_page_stamp_bump(v.object_id) FROM document_versions v
        WHERE v.id IN (CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.document_version_id END,
                       CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.document_version_id END);
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER document_files_page_stamp AFTER INSERT OR UPDATE OR DELETE ON document_files FOR EACH ROW EXECUTE FUNCTION document_file_page_stamp()`.execute(db);

  // A review case's comments.
  await sql`
    CREATE FUNCTION review_comment_page_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM object_page_stamp_bump(c.object_id) FROM review_cases c
        WHERE c.id IN (CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.case_id END,
                       CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.case_id END);
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER review_comments_page_stamp AFTER INSERT OR UPDATE OR DELETE ON review_comments FOR EACH ROW EXECUTE FUNCTION review_comment_page_stamp()`.execute(db);

  // What many pages show.
  await sql`CREATE TRIGGER organizations_page_reference_stamp AFTER INSERT OR UPDATE OR DELETE ON organizations FOR EACH STATEMENT EXECUTE FUNCTION page_reference_stamp_bump()`.execute(db);
  await sql`CREATE TRIGGER calendar_years_page_reference_stamp AFTER INSERT OR UPDATE OR DELETE ON calendar_years FOR EACH STATEMENT EXECUTE FUNCTION page_reference_stamp_bump()`.execute(db);
  await sql`
    CREATE TRIGGER users_names_page_reference_stamp AFTER UPDATE ON users FOR EACH ROW
      WHEN (OLD.surname IS DISTINCT FROM NEW.surname OR OLD.given_name IS DISTINCT FROM NEW.given_name OR OLD.patronymic IS DISTINCT FROM NEW.patronymic)
      EXECUTE FUNCTION page_reference_stamp_bump()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER users_names_page_reference_stamp ON users`.execute(db);
  await sql`DROP TRIGGER calendar_years_page_reference_stamp ON calendar_years`.execute(db);
  await sql`DROP TRIGGER organizations_page_reference_stamp ON organizations`.execute(db);
  await sql`DROP TRIGGER review_comments_page_stamp ON review_comments`.execute(db);
  await sql`DROP TRIGGER document_files_page_stamp ON document_files`.execute(db);
  for (const table of ['object_versions', 'lifecycle_events', 'update_duties', 'document_versions', 'review_cases', 'issued_documents']) {
    await sql`DROP TRIGGER ${sql.raw(`${table}_page_stamp`)} ON ${sql.table(table)}`.execute(db);
  }
  await sql`DROP TRIGGER objects_names_page_reference_stamp ON objects`.execute(db);
  await sql`DROP TRIGGER objects_page_stamp ON objects`.execute(db);
  await sql`DROP FUNCTION review_comment_page_stamp()`.execute(db);
  await sql`DROP FUNCTION document_file_page_stamp()`.execute(db);
  await sql`DROP FUNCTION object_row_page_stamp()`.execute(db);
  await sql`DROP FUNCTION objects_page_stamp()`.execute(db);
  await sql`DROP FUNCTION page_reference_stamp_bump()`.execute(db);
  await sql`DROP FUNCTION object_page_stamp_bump(uuid)`.execute(db);
  await db.schema.dropTable('page_reference_stamp').execute();
  await db.schema.dropTable('object_page_stamps').execute();
}
