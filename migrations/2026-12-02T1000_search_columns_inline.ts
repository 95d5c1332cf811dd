import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

/**
 * The search columns stay in the row. An object's row is about 2.9 KB with its passport (1 KB of
 * JSON), past the 2 KB at which PostgreSQL moves values out of line; it moved out whichever were
 * largest, often search_kk or search_ru, and compressed search_text in one row of eleven. The
 * registry's window (src/modules/registry/registry.service.ts) tests these columns on up to 2,000
 * rows per page, and each value out of line cost a lookup in the TOAST table: measured on 100,000
 * objects, reading search_kk over the window took 1.5 ms more than reading the row alone.
 * STORAGE MAIN keeps them in the row (compressed only as a last resort), so the passport, which
 * only the object page reads, is what goes out of line. It applies to rows as they are written;
 * existing rows move as they are next saved.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE objects
    ALTER COLUMN search_text SET STORAGE MAIN,
    ALTER COLUMN search_ru SET STORAGE MAIN,
    ALTER COLUMN search_kk SET STORAGE MAIN`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE objects
    ALTER COLUMN search_text SET STORAGE EXTENDED,
    ALTER COLUMN search_ru SET STORAGE EXTENDED,
    ALTER COLUMN search_kk SET STORAGE EXTENDED`.execute(db);
}
