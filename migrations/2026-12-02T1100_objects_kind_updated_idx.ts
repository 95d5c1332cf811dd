import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

/**
 * The registry narrowed to one kind, in the order of the latest change (also relevance's window,
 * src/modules/registry/registry.service.ts). Without it the window read every object in that
 * order and dropped those of other kinds, three rows in four for the rarer kinds: on 100,000
 * objects a part-of-word search in one kind read 4,552 rows to keep 1,576 and took 8–11 ms; with
 * it, 5.1 ms.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX objects_kind_updated_idx ON objects (kind, updated_at, id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX objects_kind_updated_idx`.execute(db);
}
