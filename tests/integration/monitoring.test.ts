import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthUser, toAuthUser } from '../../src/access/permissions.ts';
import { ensureKnownCalendarYears } from '../../src/modules/calendar/calendar.service.ts';
import { toAlmatyDate } from '../../src/modules/calendar/working-days.ts';
import { getMonitoring, monitoringFilters } from '../../src/modules/monitoring/monitoring.service.ts';
import { findGapCandidates } from '../../src/modules/monitoring/monitoring.repository.ts';
import { operationFundingCheck, stateOf } from '../../src/modules/objects/lifecycle.ts';
import { createObject } from '../../src/modules/objects/objects.service.ts';
import { buildTestApp } from '../support/app.ts';
import { createOrganization, createUser, signInAs } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { samplePassport } from '../support/objects.ts';

let database: TestDatabase;
let app: FastifyInstance;
let staff: AuthUser;
let organizationId: string;
const today = toAlmatyDate(new Date());

/** An accepted pair of files for a kind, as the check worker leaves it (fixture rows, no veraPDF needed here). */
async function acceptedDocument(objectId: string, kind: string): Promise<void> {
  const version = await database.db.insertInto('document_versions').values({ object_id: objectId, kind, version: 1, title: null, uploaded_at: new Date(), uploaded_by: staff.id }).returning('id').executeTakeFirstOrThrow();
  for (const slot of ['pdf', 'docx'] as const) {
    await database.db
      .insertInto('document_files')
      .values({ document_version_id: version.id, slot, sha256: randomBytes(32).toString('hex'), size_bytes: 10, original_name: `${kind}.${slot}`, media_type: 'application/octet-stream', status: 'accepted', report: null, failed_rules: null, declared_pdfa: null, validated_as: null, page_count: null, text: null })
      .execute();
  }
}

async function objectIn(stage: 'creation' | 'industrial_operation' | 'development', step: string | null, passport: Record<string, unknown>, kinds: string[]): Promise<string> {
  const { id } = await createObject(database.db, staff, { passport, informationChangedOn: today });
  // The state is fixture data here: the lifecycle's own moves are tested in objects.test.ts.
  await database.db.updateTable('objects').set({ stage, step }).where('id', '=', id).execute();
  for (const kind of kinds) await acceptedDocument(id, kind);
  return id;
}

const OPERATION_DOCUMENTS = ['technical_specification', 'pilot_completion_act', 'security_test_protocol', 'commissioning_act', 'security_documentation', 'user_manual', 'admin_manual'];
const complete = {
  ...samplePassport('Полная система'),
  users: { registered: 2000, active: 1500 },
  usage: { state_bodies: 3, sites: 5 },
  automated_functions: [{ type: 'state_function', name: 'Учет' }],
  source_code: { transferred: true, transferred_on: '2025-01-10' },
};

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
  app = await buildTestApp(database);
  organizationId = await createOrganization(database.db);
  const user = await createUser(database.db, 'staff', { organizationId });
  staff = toAuthUser({ id: user.id, email: user.email, role: 'staff', organization_id: organizationId, surname: 'Тестов', given_name: 'Тест', patronymic: null });
  await objectIn('creation', 'development_work', samplePassport('Без ТЗ'), []);
  await objectIn('creation', 'development_work', samplePassport('С ТЗ'), ['technical_specification']);
  await objectIn('industrial_operation', null, samplePassport('Без сведений об эксплуатации'), OPERATION_DOCUMENTS);
  await objectIn('industrial_operation', null, complete, OPERATION_DOCUMENTS.slice(0, 5));
  await objectIn('industrial_operation', null, complete, OPERATION_DOCUMENTS);
  await objectIn('development', 'pilot_operation', { ...complete, kind: 'state_body_internet_resource' }, OPERATION_DOCUMENTS);
  await objectIn('development', 'pilot_operation', { ...complete, kind: 'ict_infrastructure', infrastructure_subkind: 'information_system' }, OPERATION_DOCUMENTS);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await database?.destroy();
});

describe('monitoring', () => {
  it('finds in SQL exactly the objects the 004 §18 check refuses, and says what each lacks', async () => {
    const rows = await database.db.selectFrom('objects').select(['id', 'stage', 'step', 'passport']).execute();
    const expected: string[] = [];
    for (const row of rows) {
      if (row.stage !== 'industrial_operation' && row.stage !== 'development') continue;
      const kinds = await database.db
        .selectFrom('document_versions as v')
        .select('v.kind')
        .where('v.object_id', '=', row.id)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('document_files as f').select('f.id').whereRef('f.document_version_id', '=', 'v.id').where('f.status', '<>', 'accepted'))))
        .execute();
      if (!operationFundingCheck({ state: stateOf(row), passport: row.passport, acceptedDocumentKinds: new Set(kinds.map((k) => k.kind)) }).supported) expected.push(row.id);
    }
    const found = await findGapCandidates(database.db, 'operation', {}, { limit: 100 });
    expect(found.map((row) => row.id).sort()).toEqual(expected.sort());
    expect(expected).toHaveLength(2);

    const admin = toAuthUser({ id: staff.id, email: 'a@x', role: 'authorized_officer', organization_id: null, surname: 'А', given_name: 'Б', patronymic: null });
    const monitoring = await getMonitoring(database.db, admin, monitoringFilters({}), { language: 'ru' });
    expect(monitoring.fundingNotSupported.count).toBe(expected.length);
    const withoutOperationFields = monitoring.fundingNotSupported.items.find((item) => item.nameRu === 'Без сведений об эксплуатации')!;
    expect(withoutOperationFields.missing).toContainEqual({ type: 'field', field: 'users.registered' });
    expect(monitoring.withoutDocuments.items.map((item) => item.nameRu)).toContain('Без ТЗ');
    expect(monitoring.withoutDocuments.items.map((item) => item.nameRu)).not.toContain('С ТЗ');
    expect(monitoring.byStage.find((row) => row.key === 'industrial_operation')?.count).toBe(3);
    expect(monitoring.byOrganization[0]).toMatchObject({ id: organizationId, count: 7 });
  });

  it('is a page with charts, tables and CSV for the authorized body, and closed to staff', async () => {
    const officer = await signInAs(app, await createUser(database.db, 'authorized_officer', { organizationId: null }));
    const page = await app.inject({ url: '/monitoring', headers: { cookie: `${officer.cookie}; lang=ru` } });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).toContain('role="img"');
    expect(page.body).toContain('data-table="funding"');
    expect(page.body).toContain('Без сведений об эксплуатации');
    const csv = await app.inject({ url: `/monitoring/csv/funding?organization=${organizationId}`, headers: { cookie: officer.cookie } });
    expect(csv.statusCode).toBe(200);
    expect(csv.body.startsWith('\uFEFF')).toBe(true);
    expect(csv.body.trim().split('\r\n')).toHaveLength(3);
    const staffSession = await signInAs(app, await createUser(database.db, 'staff', { organizationId }));
    expect((await app.inject({ url: '/monitoring', headers: { cookie: staffSession.cookie } })).statusCode).toBe(403);
    expect((await app.inject({ url: '/monitoring/csv/nothing', headers: { cookie: officer.cookie } })).statusCode).toBe(404);
  });
});
