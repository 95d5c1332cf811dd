import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database.ts';

/**
 * The stamp of everything an object's page is rendered from (migration object_page_stamps): it
 * moves with the object, with every row that belongs to it, and with the reference data pages show
 * (organizations, people's names, the calendar, objects' names), by triggers in the changing
 * transaction. With it, the owner, for the access check that must come with any read.
 */
export interface ObjectPageStamp {
  objectId: string;
  /** Null when no such object exists. */
  organizationId: string | null;
  stamp: string | null;
}

/** The stamp as one JSON value ({ organizationId, stamp }, or null), for a select of its own or within another. */
export function objectPageStampJson(db: Kysely<Database>, objectId: string) {
  return db
    .selectFrom('objects as o')
    .innerJoin('object_page_stamps as ps', 'ps.object_id', 'o.id')
    .crossJoin('page_reference_stamp as pr')
    .select(sql<{ organizationId: string; stamp: string }>`json_build_object('organizationId', o.organization_id, 'stamp', ps.stamp || '.' || pr.stamp)`.as('page'))
    .where('o.id', '=', objectId);
}

/** The stamp read alone; `objectId` must be a UUID (the callers check it). */
export async function readObjectPageStamp(db: Kysely<Database>, objectId: string): Promise<ObjectPageStamp> {
  const row = await db
    .selectNoFrom(objectPageStampJson(db, objectId).as('page'))
    .executeTakeFirst();
  return { objectId, organizationId: row?.page?.organizationId ?? null, stamp: row?.page?.stamp ?? null };
}
