import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.

/**
 * The auditors' workbench (issue 13; 004 §16.4, 001 §3.7):
 *   - audit_event_scopes: for every audit event, the object it is about (an object's own events,
 *     its documents', files' and review cases') and the organization it belongs to (the object's
 *     owner, else the acting user's organization). Filled by a trigger in the inserting
 *     transaction, so the log itself is never updated; existing events are scoped here once.
 *   - audit_events.details_tsv: the words of an event (its entity, action, before and after) for
 *     full-text filtering, a stored generated column (computed by PostgreSQL, never written).
 *   - access_events: who opened which object page, downloaded which file, took which export;
 *     append-only like the audit log.
 *   - audit_chain_heads: the published head of the hash chain each day (RFC 6962 in spirit).
 *   - audit_verifications: every run of the chain verification and what it found.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE audit_event_scopes (
      event_id bigint PRIMARY KEY,
      object_id uuid,
      organization_id uuid
    )`.execute(db);
  await sql`CREATE INDEX audit_event_scopes_object_idx ON audit_event_scopes (object_id, event_id) WHERE object_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX audit_event_scopes_organization_idx ON audit_event_scopes (organization_id, event_id) WHERE organization_id IS NOT NULL`.execute(db);

  // The scope of one event from its entity; uuid-shaped ids only, so no cast can fail.
  await sql`
    CREATE FUNCTION audit_event_object(entity_type text, entity_id text) RETURNS uuid LANGUAGE sql STABLE AS $$
      SELECT CASE
        WHEN entity_id !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN NULL
        WHEN entity_type = 'object' THEN entity_id::uuid
        WHEN entity_type = 'document' THEN (SELECT v.object_id FROM document_versions v WHERE v.id = entity_id::uuid)
        WHEN entity_type = 'document_file' THEN (SELECT v.object_id FROM document_files f JOIN document_versions v ON v.id = f.document_version_id WHERE f.id = entity_id::uuid)
        WHEN entity_type = 'review_case' THEN (SELECT c.object_id FROM review_cases c WHERE c.id = entity_id::uuid)
        ELSE NULL
      END
    $$`.execute(db);
  await sql`
    CREATE FUNCTION audit_events_scope() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      scoped_object uuid := audit_event_object(NEW.entity_type, NEW.entity_id);
    BEGIN
      INSERT INTO audit_event_scopes (event_id, object_id, organization_id)
      VALUES (
        NEW.id,
        scoped_object,
        COALESCE((SELECT o.organization_id FROM objects o WHERE o.id = scoped_object), NEW.actor_organization_id)
      );
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`CREATE TRIGGER audit_events_scope AFTER INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_scope()`.execute(db);
  await sql`
    INSERT INTO audit_event_scopes (event_id, object_id, organization_id)
    SELECT e.id, s.object_id, COALESCE(o.organization_id, e.actor_organization_id)
    FROM audit_events e
    CROSS JOIN LATERAL (SELECT audit_event_object(e.entity_type, e.entity_id) AS object_id) s
    LEFT JOIN objects o ON o.id = s.object_id`.execute(db);

  await sql`
    ALTER TABLE audit_events ADD COLUMN details_tsv tsvector GENERATED ALWAYS AS (
      to_tsvector('simple'::regconfig, entity_type || ' ' || entity_id || ' ' || replace(action, '.', ' '))
      || jsonb_to_tsvector('simple'::regconfig, coalesce(before, '{}'::jsonb), '["string", "numeric"]')
      || jsonb_to_tsvector('simple'::regconfig, coalesce(after, '{}'::jsonb), '["string", "numeric"]')
    ) STORED`.execute(db);
  await sql`CREATE INDEX audit_events_details_idx ON audit_events USING gin (details_tsv)`.execute(db);
  await sql`CREATE INDEX audit_events_action_idx ON audit_events (action, id)`.execute(db);
  await sql`CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at)`.execute(db);

  await sql`
    CREATE TABLE access_events (
      id bigserial PRIMARY KEY,
      occurred_at timestamptz NOT NULL,
      user_id uuid,
      organization_id uuid,
      kind text NOT NULL CHECK (kind IN ('object_page', 'document_download', 'extract_download', 'export')),
      entity_id text NOT NULL,
      object_id uuid,
      request_id text
    )`.execute(db);
  await sql`CREATE INDEX access_events_object_idx ON access_events (object_id, id) WHERE object_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX access_events_user_idx ON access_events (user_id, id)`.execute(db);

  await sql`
    CREATE TABLE audit_chain_heads (
      day date PRIMARY KEY,
      last_event_id bigint NOT NULL,
      event_count bigint NOT NULL,
      head_hash char(64) NOT NULL,
      published_at timestamptz NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE audit_verifications (
      id bigserial PRIMARY KEY,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL,
      trigger text NOT NULL CHECK (trigger IN ('nightly', 'manual', 'published_heads')),
      requested_by uuid,
      ok boolean NOT NULL,
      checked bigint NOT NULL,
      last_hash char(64) NOT NULL,
      broken_event_id bigint,
      broken_reason text
    )`.execute(db);

  // Append-only like the audit log.
  await sql`
    CREATE FUNCTION append_only_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$`.execute(db);
  for (const table of ['audit_event_scopes', 'access_events', 'audit_chain_heads', 'audit_verifications']) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_no_update_delete`)} BEFORE UPDATE OR DELETE ON ${sql.table(table)}
      FOR EACH ROW EXECUTE FUNCTION append_only_refuse_change()`.execute(db);
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_no_truncate`)} BEFORE TRUNCATE ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION append_only_refuse_change()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE audit_verifications, audit_chain_heads, access_events`.execute(db);
  await sql`DROP TRIGGER audit_event_scopes_no_update_delete ON audit_event_scopes`.execute(db);
  await sql`DROP TRIGGER audit_event_scopes_no_truncate ON audit_event_scopes`.execute(db);
  await sql`DROP FUNCTION append_only_refuse_change()`.execute(db);
  await sql`DROP INDEX audit_events_occurred_idx, audit_events_action_idx, audit_events_details_idx`.execute(db);
  await sql`ALTER TABLE audit_events DROP COLUMN details_tsv`.execute(db);
  await sql`DROP TRIGGER audit_events_scope ON audit_events`.execute(db);
  await sql`DROP FUNCTION audit_events_scope(), audit_event_object(text, text)`.execute(db);
  await sql`DROP TABLE audit_event_scopes`.execute(db);
}
