/**
 * The monitoring module's SQL (001 §3.7: the portal serves monitoring, analysis and planning):
 * the registry as counts, the update duties per organization, review deadlines per month, and the
 * objects with gaps. It only reads. The gap filters are written from the same rules the pure
 * checks use (requiredFieldsForStage, REQUIRED_DOCUMENTS_BY_STATE), so the database finds exactly
 * the objects operationFundingCheck would refuse; a test compares the two.
 */
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import { REQUIRED_DOCUMENTS_BY_STATE } from '../objects/document-kinds.ts';
import { LIFECYCLE_STAGES, LIFECYCLE_STATES, stateKey } from '../objects/lifecycle.ts';
import { OBJECT_KINDS, requiredFieldsForStage } from '../objects/passport.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export interface MonitoringScope {
  organizationId?: string;
}

export type CountDimension = 'kind' | 'class' | 'stage';

export async function countObjectsBy(db: Executor, dimension: CountDimension, scope: MonitoringScope): Promise<Array<{ key: string; count: number }>> {
  let query = db.selectFrom('objects').select([sql<string>`${sql.ref(dimension)}::text`.as('key'), (eb) => eb.fn.countAll<string>().as('n')]).groupBy(dimension);
  if (scope.organizationId) query = query.where('organization_id', '=', scope.organizationId);
  const rows = await query.orderBy('n', 'desc').execute();
  return rows.map((row) => ({ key: row.key, count: Number(row.n) }));
}

export async function countObjectsByOrganization(db: Executor, language: 'kk' | 'ru' | 'en', limit: number): Promise<Array<{ id: string; name: string; bin: string; count: number }>> {
  const name = language === 'kk' ? sql<string>`g.name_kk` : language === 'ru' ? sql<string>`g.name_ru` : sql<string>`coalesce(g.name_en, g.name_ru)`;
  const rows = await db
    .selectFrom('objects as o')
    .innerJoin('organizations as g', 'g.id', 'o.organization_id')
    .select(['g.id', 'g.bin', name.as('name'), (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy(['g.id', 'g.bin', 'g.name_kk', 'g.name_ru', 'g.name_en'])
    .orderBy('n', 'desc')
    .orderBy('g.bin')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: row.id, name: row.name, bin: row.bin, count: Number(row.n) }));
}

/** Open update duties (003 §9) per organization on `today`: due (today or later) and overdue, the most overdue first. */
export async function dutiesByOrganization(db: Executor, language: 'kk' | 'ru' | 'en', today: string, scope: MonitoringScope, limit: number): Promise<Array<{ id: string; name: string; bin: string; due: number; overdue: number }>> {
  const name = language === 'kk' ? sql<string>`g.name_kk` : language === 'ru' ? sql<string>`g.name_ru` : sql<string>`coalesce(g.name_en, g.name_ru)`;
  let query = db
    .selectFrom('update_duties as d')
    .innerJoin('organizations as g', 'g.id', 'd.organization_id')
    .select([
      'g.id',
      'g.bin',
      name.as('name'),
      sql<string>`count(*) FILTER (WHERE d.due_on >= ${today}::date)`.as('due'),
      sql<string>`count(*) FILTER (WHERE d.due_on < ${today}::date)`.as('overdue'),
    ])
    .where('d.fulfilled_at', 'is', null)
    .groupBy(['g.id', 'g.bin', 'g.name_kk', 'g.name_ru', 'g.name_en']);
  if (scope.organizationId) query = query.where('d.organization_id', '=', scope.organizationId);
  const rows = await query.orderBy(sql`count(*) FILTER (WHERE d.due_on < ${today}::date)`, 'desc').orderBy(sql`count(*)`, 'desc').orderBy('g.bin').limit(limit).execute();
  return rows.map((row) => ({ id: row.id, name: row.name, bin: row.bin, due: Number(row.due), overdue: Number(row.overdue) }));
}

/** Review cases (003 §8) received per month, Almaty time: how many, decided on time, decided late, still open past their deadline. */
export async function reviewDeadlinesByMonth(db: Executor, fromMonth: string, toMonth: string, scope: MonitoringScope, now: Date): Promise<Array<{ month: string; received: number; onTime: number; late: number; openOverdue: number }>> {
  const month = sql<string>`to_char(c.submitted_at AT TIME ZONE 'Asia/Almaty', 'YYYY-MM')`;
  let query = db
    .selectFrom('review_cases as c')
    .select([
      month.as('month'),
      (eb) => eb.fn.countAll<string>().as('received'),
      sql<string>`count(*) FILTER (WHERE c.decided_at IS NOT NULL AND c.decided_at <= c.due_at)`.as('on_time'),
      sql<string>`count(*) FILTER (WHERE c.decided_at IS NOT NULL AND c.decided_at > c.due_at)`.as('late'),
      sql<string>`count(*) FILTER (WHERE c.decided_at IS NULL AND c.due_at < ${now})`.as('open_overdue'),
    ])
    .where(month, '>=', fromMonth)
    .where(month, '<=', toMonth)
    .groupBy(month);
  if (scope.organizationId) query = query.where('c.organization_id', '=', scope.organizationId);
  const rows = await query.orderBy(month).execute();
  return rows.map((row) => ({ month: row.month, received: Number(row.received), onTime: Number(row.on_time), late: Number(row.late), openOverdue: Number(row.open_overdue) }));
}

// ---------------------------------------------------------------------------------------------
// Gaps: written from the pure rules

function pathLiteral(path: string): RawBuilder<unknown> {
  return sql.lit(`{${path.split('.').join(',')}}`);
}

/** lifecycle.ts hasValue in SQL: present, not blank text, not an empty list. */
function hasValue(path: string): RawBuilder<boolean> {
  const at = pathLiteral(path);
  return sql<boolean>`(CASE jsonb_typeof(o.passport #> ${at}) WHEN 'string' THEN btrim(o.passport #>> ${at}) <> '' WHEN 'array' THEN jsonb_array_length(o.passport #> ${at}) > 0 WHEN 'object' THEN true WHEN 'number' THEN true WHEN 'boolean' THEN true ELSE false END)`;
}

function accepted(kind: string): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM document_versions v WHERE v.object_id = o.id AND v.kind = ${sql.lit(kind)} AND (SELECT count(*) FILTER (WHERE f.status = 'accepted') FROM document_files f WHERE f.document_version_id = v.id) = 2)`;
}

function anyOf(conditions: RawBuilder<boolean>[]): RawBuilder<boolean> {
  return conditions.length === 0 ? sql<boolean>`false` : sql<boolean>`(${sql.join(conditions, sql` OR `)})`;
}

/** True when a required document of the object's current state has no accepted version. */
export function missingDocumentSql(): RawBuilder<boolean> {
  const branches = LIFECYCLE_STATES.map((state) => {
    const key = stateKey(state);
    const missing = REQUIRED_DOCUMENTS_BY_STATE[key].required.map((kind) => sql<boolean>`NOT ${accepted(kind)}`);
    return sql`WHEN ${sql.lit(key)} THEN ${anyOf(missing)}`;
  });
  return sql<boolean>`(CASE (o.stage || coalesce('/' || o.step, '')) ${sql.join(branches, sql` `)} ELSE false END)`;
}

/** True when a passport field required at the object's stage (for its kind) is missing. */
export function missingFieldSql(): RawBuilder<boolean> {
  const branches = OBJECT_KINDS.flatMap((kind) =>
    LIFECYCLE_STAGES.map((stage) => sql`WHEN o.kind = ${sql.lit(kind)} AND o.stage = ${sql.lit(stage)} THEN ${anyOf(requiredFieldsForStage(kind, stage).map((field) => sql<boolean>`NOT ${hasValue(field)}`))}`),
  );
  return sql<boolean>`(CASE ${sql.join(branches, sql` `)} ELSE true END)`;
}

export interface GapCandidate {
  id: string;
  organizationId: string;
  nameKk: string;
  nameRu: string;
  stage: string;
  step: string | null;
  passport: unknown;
  acceptedKinds: string[];
}

/**
 * Objects with a gap, in registry order (id), after `afterId`: `scope: 'operation'` is the 004 §18
 * list (objects in operation or development, whose operation-stage spending is not supported
 * while their information or documentation is missing); `'documents'` every live object missing a
 * required document of its state.
 */
export async function findGapCandidates(db: Executor, which: 'operation' | 'documents', scope: MonitoringScope, options: { afterId?: string; limit: number }): Promise<GapCandidate[]> {
  let query = db
    .selectFrom('objects as o')
    .select([
      'o.id',
      'o.organization_id',
      'o.name_kk',
      'o.name_ru',
      'o.stage',
      'o.step',
      'o.passport',
      sql<string[]>`array(SELECT DISTINCT v.kind FROM document_versions v WHERE v.object_id = o.id AND (SELECT count(*) FILTER (WHERE f.status = 'accepted') FROM document_files f WHERE f.document_version_id = v.id) = 2)`.as('accepted_kinds'),
    ]);
  if (which === 'operation') query = query.where('o.stage', 'in', ['industrial_operation', 'development']).where(sql<boolean>`(${missingFieldSql()} OR ${missingDocumentSql()})`);
  else query = query.where('o.stage', '<>', 'termination').where(missingDocumentSql());
  if (scope.organizationId) query = query.where('o.organization_id', '=', scope.organizationId);
  if (options.afterId) query = query.where('o.id', '>', options.afterId);
  const rows = await query.orderBy('o.id').limit(options.limit).execute();
  return rows.map((row) => ({ id: row.id, organizationId: row.organization_id, nameKk: row.name_kk, nameRu: row.name_ru, stage: row.stage, step: row.step, passport: row.passport, acceptedKinds: row.accepted_kinds }));
}

export async function countGaps(db: Executor, which: 'operation' | 'documents', scope: MonitoringScope): Promise<number> {
  let query = db.selectFrom('objects as o').select((eb) => eb.fn.countAll<string>().as('n'));
  if (which === 'operation') query = query.where('o.stage', 'in', ['industrial_operation', 'development']).where(sql<boolean>`(${missingFieldSql()} OR ${missingDocumentSql()})`);
  else query = query.where('o.stage', '<>', 'termination').where(missingDocumentSql());
  if (scope.organizationId) query = query.where('o.organization_id', '=', scope.organizationId);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

export async function listOrganizations(db: Executor, language: 'kk' | 'ru' | 'en'): Promise<Array<{ id: string; name: string; bin: string }>> {
  const name = language === 'kk' ? sql<string>`name_kk` : language === 'ru' ? sql<string>`name_ru` : sql<string>`coalesce(name_en, name_ru)`;
  return db.selectFrom('organizations').select(['id', 'bin', name.as('name')]).orderBy(name).execute();
}
