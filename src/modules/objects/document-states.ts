/**
 * What the objects module reads of an object's documents: which kinds are accepted (for lifecycle
 * moves, completeness and the 004 §18 check) and the state of each kind's latest version (for the
 * required-documents list). Read only: the documents module writes these tables.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, DocumentFileStatus } from '../../db/database.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { type DocumentKind, type DocumentVersionStatus, isDocumentKind, pairStatus } from './document-kinds.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** The kinds whose some version has both files accepted, uploaded on or after `since` (Almaty day) or ever. */
export async function acceptedDocumentKinds(db: Executor, objectId: string, since: string | null): Promise<ReadonlySet<DocumentKind>> {
  const { rows } = await sql<{ kind: string; uploaded_at: Date }>`
    SELECT v.kind, v.uploaded_at FROM document_versions v
    WHERE v.object_id = ${objectId}
      AND (SELECT count(*) FILTER (WHERE f.status = 'accepted') FROM document_files f WHERE f.document_version_id = v.id) = 2`.execute(db);
  return new Set(rows.filter((row) => since === null || toAlmatyDate(row.uploaded_at) >= since).flatMap((row) => (isDocumentKind(row.kind) ? [row.kind] : [])));
}

/** Per kind, the state of its latest version: what the object page shows next to each required kind. */
export async function latestDocumentStates(db: Executor, objectId: string): Promise<Map<DocumentKind, DocumentVersionStatus>> {
  const { rows } = await sql<{ kind: string; statuses: DocumentFileStatus[] }>`
    SELECT DISTINCT ON (v.kind) v.kind, array(SELECT f.status::text FROM document_files f WHERE f.document_version_id = v.id) AS statuses
    FROM document_versions v
    WHERE v.object_id = ${objectId}
    ORDER BY v.kind, v.version DESC`.execute(db);
  const states = new Map<DocumentKind, DocumentVersionStatus>();
  for (const row of rows) if (isDocumentKind(row.kind)) states.set(row.kind, pairStatus(row.statuses.map((status) => ({ status }))));
  return states;
}
