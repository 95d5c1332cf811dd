/**
 * Part of `npm run bench`: an audit log of a registry that has been used for two years — by
 * default 2,000,000 events over the seeded objects (about 20 an object), in id order over the last
 * 730 days, by 600 staff members (two per organization of the object) and 20 reviewers, with the
 * mix of actions the portal records (passport changes, documents and their checks, review steps,
 * lifecycle moves). Written set-based in SQL: the scope trigger and the text index are set aside
 * while the rows go in and rebuilt after, as a bulk load would do. The hashes are unique values,
 * not a chain: the bench reads the log, it does not verify it.
 */
import type pg from 'pg';

export interface SeededAudit {
  events: number;
  staffIds: string[];
  reviewerIds: string[];
  seconds: number;
  size: string;
}

export async function seedAuditEvents(pool: pg.Pool, count: number): Promise<SeededAudit> {
  const start = performance.now();
  const client = await pool.connect();
  try {
    await client.query(`
      INSERT INTO users (email, surname, given_name, role, organization_id, password_hash, status)
      SELECT 'bench.staff.' || g.n || '.' || o.id || '@bench.example', 'Сотрудников', 'Бенч', 'staff', o.id, 'x', 'active'
      FROM organizations o CROSS JOIN generate_series(1, 2) AS g(n)`);
    await client.query(`
      INSERT INTO users (email, surname, given_name, role, organization_id, password_hash, status)
      SELECT 'bench.reviewer.' || n || '@bench.example', 'Проверяющий', 'Бенч', 'reviewer', NULL, 'x', 'active' FROM generate_series(1, 20) AS n`);
    await client.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_scope');
    await client.query('DROP INDEX audit_events_details_idx');
    await client.query(`CREATE TEMP TABLE bench_objects AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS n, id, organization_id, name_ru FROM objects`);
    await client.query(`CREATE TEMP TABLE bench_staff AS SELECT (row_number() OVER (PARTITION BY organization_id ORDER BY id)) - 1 AS n, id, organization_id FROM users WHERE role = 'staff' AND email LIKE 'bench.staff.%'`);
    await client.query(`CREATE TEMP TABLE bench_reviewers AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS n, id FROM users WHERE email LIKE 'bench.reviewer.%'`);
    await client.query('CREATE INDEX ON bench_objects (n); CREATE INDEX ON bench_staff (organization_id, n); CREATE INDEX ON bench_reviewers (n); ANALYZE bench_objects, bench_staff, bench_reviewers');
    const objects = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM bench_objects')).rows[0]!.n);
    // After the events the seeding and the sign-in recorded.
    const base = Number((await client.query<{ n: string }>('SELECT coalesce(max(id), 0) AS n FROM audit_events')).rows[0]!.n);
    await client.query(
      `
      INSERT INTO audit_events (id, occurred_at, actor_user_id, actor_organization_id, actor_label, entity_type, entity_id, action, before, after, request_id, prev_hash, hash)
      SELECT $3::bigint + g,
             now() - interval '730 days' + g * (interval '730 days' / $1::int),
             CASE WHEN a.reviewer THEN r.id ELSE s.id END,
             CASE WHEN a.reviewer THEN NULL ELSE o.organization_id END,
             NULL,
             a.entity_type,
             o.id::text,
             a.action,
             CASE WHEN a.action = 'object.updated' THEN jsonb_build_object('version', g % 40, 'values', jsonb_build_object('users.active', g % 997)) END,
             jsonb_build_object('version', g % 40 + 1, 'objectId', o.id, 'values', jsonb_build_object('name.full.ru', o.name_ru, 'users.active', g % 991)),
             NULL,
             encode(sha256(convert_to('bench ' || (g - 1)::text, 'UTF8')), 'hex'),
             encode(sha256(convert_to('bench ' || g::text, 'UTF8')), 'hex')
      FROM generate_series(1, $1::int) AS g
      JOIN bench_objects o ON o.n = (g::bigint * 7919) % $2::int
      JOIN bench_staff s ON s.organization_id = o.organization_id AND s.n = g % 2
      JOIN bench_reviewers r ON r.n = g % 20
      CROSS JOIN LATERAL (
        SELECT CASE
          WHEN g % 20 < 10 THEN 'object.updated' WHEN g % 20 < 13 THEN 'document.uploaded' WHEN g % 20 < 17 THEN 'document_file.checked'
          WHEN g % 20 = 17 THEN 'review_case.submitted' WHEN g % 20 = 18 THEN 'review_case.approved' ELSE 'object.lifecycle_moved' END AS action,
          CASE WHEN g % 20 IN (17, 18) THEN 'review_case' ELSE 'object' END AS entity_type,
          g % 20 = 18 AS reviewer
      ) a`,
      [count, objects, base],
    );
    await client.query(`SELECT setval('audit_events_id_seq', (SELECT max(id) FROM audit_events))`);
    // The scope every event would have had from the trigger: these events name their object.
    await client.query(`
      INSERT INTO audit_event_scopes (event_id, object_id, organization_id)
      SELECT e.id, o.id, o.organization_id FROM audit_events e JOIN objects o ON o.id = (e.after->>'objectId')::uuid
      ON CONFLICT (event_id) DO NOTHING`);
    await client.query('CREATE INDEX audit_events_details_idx ON audit_events USING gin (details_tsv)');
    await client.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_scope');
    for (const table of ['audit_events', 'audit_event_scopes', 'users']) await client.query(`VACUUM ANALYZE ${table}`);
    const staff = await client.query<{ id: string }>(`SELECT id FROM bench_staff ORDER BY organization_id, n LIMIT 10`);
    const reviewers = await client.query<{ id: string }>(`SELECT id FROM bench_reviewers ORDER BY n LIMIT 5`);
    const size = await client.query<{ size: string }>(`SELECT pg_size_pretty(pg_total_relation_size('audit_events') + pg_total_relation_size('audit_event_scopes')) AS size`);
    return { events: count, staffIds: staff.rows.map((row) => row.id), reviewerIds: reviewers.rows.map((row) => row.id), seconds: (performance.now() - start) / 1000, size: size.rows[0]!.size };
  } finally {
    client.release();
  }
}
