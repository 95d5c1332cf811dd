import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

/**
 * An approval records its extract (number, owner, details) and queues the PDF; a worker renders
 * and stores it after the commit and links it here. Until then the file columns are empty, both
 * of them; the partial index is what the worker's sweep reads to find extracts still to render.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE issued_documents ALTER COLUMN pdf_sha256 DROP NOT NULL, ALTER COLUMN pdf_size_bytes DROP NOT NULL`.execute(db);
  await sql`ALTER TABLE issued_documents ADD CONSTRAINT issued_documents_pdf_whole CHECK ((pdf_sha256 IS NULL) = (pdf_size_bytes IS NULL))`.execute(db);
  await sql`CREATE INDEX issued_documents_pdf_pending_idx ON issued_documents (issued_at) WHERE pdf_sha256 IS NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX issued_documents_pdf_pending_idx`.execute(db);
  await sql`ALTER TABLE issued_documents DROP CONSTRAINT issued_documents_pdf_whole`.execute(db);
  await sql`ALTER TABLE issued_documents ALTER COLUMN pdf_sha256 SET NOT NULL, ALTER COLUMN pdf_size_bytes SET NOT NULL`.execute(db);
}
