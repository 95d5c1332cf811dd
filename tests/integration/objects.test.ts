import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import app from '../../src/app.ts';
import { AppError } from '../../src/errors.ts';
import { type AuthUser, toAuthUser } from '../../src/access/permissions.ts';
import { ensureKnownCalendarYears } from '../../src/modules/calendar/calendar.service.ts';
import { toAlmatyDate } from '../../src/modules/calendar/working-days.ts';
import { createAppDependencies } from '../../src/deps.ts';
import { DOCUMENT_KINDS } from '../../src/modules/objects/document-kinds.ts';
import { createObject, createObjects, getObject, recordLifecycleMove, updateObject } from '../../src/modules/objects/objects.service.ts';
import { dutiesSummaryForHome, listDuties } from '../../src/modules/objects/duties.service.ts';
import objectsWeb from '../../src/modules/objects/objects.web.ts';
import { makeValidBin } from '../../src/modules/organizations/bin-iin.ts';
import { buildServerOptions } from '../../src/server-options.ts';
import { translator } from '../../src/web/i18n.ts';
import { testConfig } from '../support/app.ts';
import { type Browserless, createOrganization, createUser, csrfFrom, mergeCookies, signInAs, type TestUser } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const kk = translator('kk');
const ru = translator('ru');

let database: TestDatabase;
let server: FastifyInstance;
let organizationA: string;
let organizationB: string;
let staffA: TestUser;
let staffB: TestUser;
let reviewer: TestUser;
let sessions: Record<'staffA' | 'staffB' | 'auditor' | 'reviewer' | 'admin' | 'officer', Browserless>;

/** The app as tests/support/app.ts builds it, with this module's pages (until app.ts registers them). */
async function buildApp(db: TestDatabase): Promise<FastifyInstance> {
  const config = testConfig(db);
  const fastify = Fastify(buildServerOptions(config));
  await fastify.register(app, createAppDependencies(config, db.db));
  if (!fastify.hasRoute({ method: 'GET', url: '/objects/:id' })) await fastify.register(objectsWeb);
  await fastify.ready();
  return fastify;
}

function validBin(serial: number): string {
  for (let s = serial; ; s += 1) {
    const bin = makeValidBin(`990340${String(s).padStart(5, '0')}`);
    if (bin) return bin;
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
  server = await buildApp(database);
  organizationA = await createOrganization(database.db, { bin: validBin(71000), name_kk: 'Цифрлық даму министрлігі', name_ru: 'Министерство цифрового развития' });
  organizationB = await createOrganization(database.db, { bin: validBin(72000), name_kk: 'Қаржы министрлігі', name_ru: 'Министерство финансов' });
  staffA = await createUser(database.db, 'staff', { organizationId: organizationA });
  staffB = await createUser(database.db, 'staff', { organizationId: organizationB });
  reviewer = await createUser(database.db, 'reviewer');
  sessions = {
    staffA: await signInAs(server, staffA),
    staffB: await signInAs(server, staffB),
    auditor: await signInAs(server, await createUser(database.db, 'auditor')),
    reviewer: await signInAs(server, reviewer),
    admin: await signInAs(server, await createUser(database.db, 'admin')),
    officer: await signInAs(server, await createUser(database.db, 'authorized_officer')),
  };
});
afterAll(async () => {
  await server?.close();
  await database?.destroy();
});

// ---------------------------------------------------------------------------------------------
// Helpers

async function authUser(user: TestUser): Promise<AuthUser> {
  return toAuthUser(await database.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow());
}

/** The passport form as a staff member fills it in Kazakh (the phone and e-mail as people type them). */
function passportFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'passport.kind': 'state_body_software',
    'passport.class': '2',
    'passport.name.full.kk': 'Электрондық құжат айналымының бірыңғай жүйесі',
    'passport.name.full.ru': 'Единая система электронного документооборота',
    'passport.purpose.kk': 'Мемлекеттік органның құжаттарын тіркеу және есепке алу',
    'passport.purpose.ru': 'Регистрация и учет документов государственного органа',
    'passport.placement.type': 'egov_ict_platform',
    'passport.funding': 'own_funds',
    'passport.contacts.0.full_name': 'Ахметов Арман Серікұлы',
    'passport.contacts.0.position': 'Бас сарапшы',
    'passport.contacts.0.phone': '8 701 123 45 67',
    'passport.contacts.0.email': 'A.Akhmetov@Example.kz',
    // Friday before Nauryz: 21–23 March 2026 (Sat–Mon) and the days off moved to 24 and 25 March.
    informationChangedOn: '2026-03-20',
    ...overrides,
  };
}

function get(session: Browserless, url: string, language = 'kk') {
  return server.inject({ url, headers: { cookie: `${session.cookie}; lang=${language}` } });
}

function post(session: Browserless, url: string, body: Record<string, string>, language = 'kk') {
  return server.inject({
    method: 'POST',
    url,
    headers: { cookie: `${session.cookie}; lang=${language}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ ...body, _csrf: session.csrf }).toString(),
  });
}

async function createThroughForm(session: Browserless = sessions.staffA, overrides: Record<string, string> = {}): Promise<string> {
  const response = await post(session, '/objects', passportFields(overrides));
  expect(response.statusCode, response.body.slice(0, 3000)).toBe(303);
  const id = /^\/objects\/([0-9a-f-]{36})$/.exec(String(response.headers.location))?.[1];
  expect(id).toBeDefined();
  return id!;
}

function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

function valueOf(html: string, name: string): string | undefined {
  const escaped = name.replace(/[.[\]]/g, '\\$&');
  const input = new RegExp(`<input[^>]*name="${escaped}"[^>]*value="([^"]*)"`).exec(html);
  if (input) return input[1];
  const textarea = new RegExp(`<textarea[^>]*name="${escaped}"[^>]*>([^<]*)</textarea>`).exec(html);
  if (textarea) return textarea[1];
  const select = new RegExp(`<select[^>]*name="${escaped}"[^>]*>([\\s\\S]*?)</select>`).exec(html);
  return select ? /<option value="([^"]*)" selected>/.exec(select[1]!)?.[1] ?? '' : undefined;
}

async function auditEvents(objectId: string) {
  return database.db.selectFrom('audit_events').selectAll().where('entity_type', '=', 'object').where('entity_id', '=', objectId).orderBy('id').execute();
}

async function dutiesOf(objectId: string) {
  return database.db.selectFrom('update_duties').selectAll().where('object_id', '=', objectId).orderBy('opened_at').orderBy('id').execute();
}

/** Puts an object in industrial operation as if it had been commissioned on `on` (test fixture: the documents module does not exist yet). */
async function commissionDirectly(objectId: string, on: string): Promise<void> {
  const moves = [
    ['complete_development_work', 'creation', 'development_work', 'creation', 'pilot_operation'],
    ['complete_pilot_operation', 'creation', 'pilot_operation', 'creation', 'security_testing'],
    ['complete_security_testing', 'creation', 'security_testing', 'creation', 'implementation'],
    ['complete_implementation', 'creation', 'implementation', 'creation', 'commissioning'],
    ['commission', 'creation', 'commissioning', 'industrial_operation', null],
  ] as const;
  for (const [move, fromStage, fromStep, toStage, toStep] of moves) {
    await database.db
      .insertInto('lifecycle_events')
      .values({ object_id: objectId, move, from_stage: fromStage, from_step: fromStep, to_stage: toStage, to_step: toStep, occurred_on: on, recorded_by: staffA.id })
      .execute();
  }
  await database.db.updateTable('objects').set({ stage: 'industrial_operation', step: null, commissioned_on: on }).where('id', '=', objectId).execute();
}

// ---------------------------------------------------------------------------------------------

describe('registering an object through the Kazakh form', () => {
  it('shows the passport form in Kazakh with every group of the schema and today as the change date', async () => {
    const page = await get(sessions.staffA, '/objects/new');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html lang="kk">');
    expect(page.body).toContain(escapeHtml(kk('objects.form.new_title')));
    for (const section of ['identity', 'ownership', 'placement', 'use', 'automated_functions', 'integrations', 'contacts', 'certificate']) {
      expect(page.body).toContain(escapeHtml(kk(`objects.sections.${section}`)));
    }
    for (const name of ['passport.kind', 'passport.infrastructure_subkind', 'passport.service_type', 'passport.placement.exception.ground', 'passport.source_code.transferred_on', 'passport.users.active', 'passport.security_certificate.valid_until', 'passport.contacts.0.phone']) {
      expect(valueOf(page.body, name), name).toBeDefined();
    }
    expect(valueOf(page.body, 'informationChangedOn')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('creates version 1 at the start of creation, with a fulfilled duty due 10 working days after the change (on the calendar) and an audit event', async () => {
    const id = await createThroughForm();
    const object = await database.db.selectFrom('objects').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(object).toMatchObject({ organization_id: organizationA, version: 1, stage: 'creation', step: 'development_work', kind: 'state_body_software', class: 2 });
    const passport = object.passport as Record<string, unknown>;
    expect(passport.owner_organization_id).toBe(organizationA);
    // What people type is stored normalized: +7 and ten digits, the e-mail in lower case.
    expect(passport.contacts).toEqual([{ full_name: 'Ахметов Арман Серікұлы', position: 'Бас сарапшы', phone: '+77011234567', email: 'a.akhmetov@example.kz' }]);
    const versions = await database.db.selectFrom('object_versions').selectAll().where('object_id', '=', id).execute();
    expect(versions.map((v) => [v.version, v.information_changed_on, v.stage, v.step])).toEqual([[1, '2026-03-20', 'creation', 'development_work']]);

    // 10 weekdays after Friday 20 March would be 3 April; Nauryz (23 March, with 24 and 25 March
    // off for the 21st and 22nd falling on a weekend) moves the due day to 8 April.
    const [duty] = await dutiesOf(id);
    expect(duty).toMatchObject({ source: 'information_changed', changed_on: '2026-03-20', due_on: '2026-04-08', fulfilled_version: 1, fulfilled_by: staffA.id, organization_id: organizationA });
    expect(duty!.fulfilled_at).not.toBeNull();

    const [created] = await auditEvents(id);
    expect(created).toMatchObject({ action: 'object.created', actor_user_id: staffA.id, actor_organization_id: organizationA });
    expect(created!.after).toMatchObject({ version: 1, stage: 'creation', informationChangedOn: '2026-03-20', duty: { dueOn: '2026-04-08', onTime: false } });
    expect((created!.after as { passport: { name: unknown } }).passport.name).toEqual({ full: { kk: 'Электрондық құжат айналымының бірыңғай жүйесі', ru: 'Единая система электронного документооборота' } });

    const page = await get(sessions.staffA, `/objects/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(escapeHtml(kk('objects.flash.created')));
    expect(page.body).toContain('data-due-on="2026-04-08"');
    expect(page.body).toContain(escapeHtml(kk('objects.duties.status_fulfilled_late')));
    expect(page.body).toContain(`data-document="technical_specification"`);
    expect(page.body).toContain(escapeHtml(kk('objects.document_kinds.technical_specification')));
    expect(page.body).toContain(escapeHtml(kk('objects.document_statuses.not_placed')));
    expect(page.body).toContain(`data-state="creation/development_work"`);
    // 004 §18: nothing is placed yet, so operation spending is not supported, naming the document.
    expect(page.body).toContain('data-funding="not_supported"');
    expect(page.body).toContain(escapeHtml(kk('objects.detail.funding_missing_document', { document: kk('objects.document_kinds.technical_specification') })));
    expect(page.body).toContain(escapeHtml(kk('objects.detail.warranty_none')));
  });

  it('refuses an invalid passport with a message per field (422), keeping every typed value and saving nothing', async () => {
    const before = await database.db.selectFrom('objects').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const response = await post(
      sessions.staffA,
      '/objects',
      passportFields({
        'passport.kind': '',
        'passport.service_type': 'infrastructure',
        'passport.class': '1',
        'passport.placement.type': 'other_provider',
        'passport.name.full.ru': '   ',
        'passport.contacts.0.phone': '12345',
        'passport.users.registered': '10',
        'passport.users.active': '25',
        'passport.possessor.bin': validBin(79000),
        'passport.purpose.kk': 'Мәтін <сақталады> & "өзгеріссіз"',
        informationChangedOn: '2099-01-01',
      }),
    );
    expect(response.statusCode).toBe(422);
    const body = response.body;
    expect(body).toContain('data-error-summary');
    const message = (key: string, params?: Record<string, unknown>) => escapeHtml(kk(key, params));
    expect(body).toContain(message('validation.required'));
    expect(body).toContain(message('objects.validation.class1_placement'));
    expect(body).toContain(message('objects.validation.phone'));
    expect(body).toContain(message('objects.validation.active_exceeds_registered'));
    expect(body).toContain(message('objects.validation.unknown_organization'));
    expect(body).toContain(message('objects.validation.not_applicable'));
    expect(body).toContain('href="#field-informationChangedOn"');
    expect(body).toContain('href="#field-passport-name-full-ru"');
    expect(body).toContain('href="#field-passport-kind"');
    // The summary names the field each message is about.
    expect(body).toContain(message('objects.form.summary_item', { field: kk('objects.fields.item_field', { item: kk('objects.fields.item.contacts', { n: 1 }), field: kk('objects.fields.contacts_phone') }), message: kk('objects.validation.phone') }));
    expect(valueOf(body, 'passport.purpose.kk')).toBe(escapeHtml('Мәтін <сақталады> & "өзгеріссіз"'));
    expect(valueOf(body, 'passport.contacts.0.phone')).toBe('12345');
    expect(valueOf(body, 'passport.class')).toBe('1');
    expect(valueOf(body, 'passport.placement.type')).toBe('other_provider');
    expect(valueOf(body, 'informationChangedOn')).toBe('2099-01-01');
    const after = await database.db.selectFrom('objects').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('refuses a change date in the future and names the possessor by the BIN of a registered organization', async () => {
    const future = await post(sessions.staffA, '/objects', passportFields({ informationChangedOn: '2099-01-01' }));
    expect(future.statusCode).toBe(422);
    expect(future.body).toContain('href="#field-informationChangedOn"');
    const organizationBBin = (await database.db.selectFrom('organizations').select('bin').where('id', '=', organizationB).executeTakeFirstOrThrow()).bin;
    const id = await createThroughForm(sessions.staffA, { 'passport.possessor.bin': organizationBBin });
    const object = await database.db.selectFrom('objects').select('passport').where('id', '=', id).executeTakeFirstOrThrow();
    expect((object.passport as { possessor: unknown }).possessor).toEqual({ organization_id: organizationB });
    const edit = await get(sessions.staffA, `/objects/${id}/edit`);
    expect(valueOf(edit.body, 'passport.possessor.bin')).toBe(organizationBBin);
  });

  it('adds and removes rows of the repeatable groups without saving and without losing anything typed', async () => {
    const typed = passportFields({ 'passport.contacts.0.full_name': 'Бірінші Тұлға', add: 'contacts' });
    const added = await post(sessions.staffA, '/objects', typed);
    expect(added.statusCode).toBe(200);
    expect(valueOf(added.body, 'passport.contacts.0.full_name')).toBe('Бірінші Тұлға');
    expect(valueOf(added.body, 'passport.contacts.1.full_name')).toBe('');
    expect(valueOf(added.body, 'passport.name.full.kk')).toBe(typed['passport.name.full.kk']);

    const functions = await post(sessions.staffA, '/objects', { ...passportFields(), add: 'automated_functions' });
    expect(valueOf(functions.body, 'passport.automated_functions.0.name')).toBe('');

    const removed = await post(sessions.staffA, '/objects', {
      ...passportFields({ 'passport.contacts.0.full_name': 'Бірінші Тұлға' }),
      'passport.contacts.1.full_name': 'Екінші Тұлға',
      'passport.contacts.1.position': 'Маман',
      remove: 'contacts.0',
    });
    expect(removed.statusCode).toBe(200);
    expect(valueOf(removed.body, 'passport.contacts.0.full_name')).toBe('Екінші Тұлға');
    expect(valueOf(removed.body, 'passport.contacts.1.full_name')).toBeUndefined();
    const stored = await database.db.selectFrom('objects').select('id').where('name_kk', '=', 'never').execute();
    expect(stored).toEqual([]);
  });
});

describe('editing an object', () => {
  it('saves version 2; the diff page shows the changed fields, labelled and readable; the audit event has before and after', async () => {
    const id = await createThroughForm();
    const form = await get(sessions.staffA, `/objects/${id}/edit`, 'ru');
    expect(form.statusCode).toBe(200);
    expect(valueOf(form.body, 'expectedVersion')).toBe('1');
    expect(valueOf(form.body, 'passport.name.full.ru')).toBe('Единая система электронного документооборота');
    expect(valueOf(form.body, 'passport.contacts.0.phone')).toBe('+77011234567');

    const saved = await post(
      sessions.staffA,
      `/objects/${id}`,
      passportFields({ 'passport.name.full.ru': 'Единая система электронного документооборота (ЕСЭДО)', 'passport.funding': 'state_investment_project', expectedVersion: '1', informationChangedOn: '2026-11-02' }),
      'ru',
    );
    expect(saved.statusCode, saved.body.slice(0, 2000)).toBe(303);
    expect(saved.headers.location).toBe(`/objects/${id}`);
    const object = await database.db.selectFrom('objects').select(['version', 'name_ru']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(object).toEqual({ version: 2, name_ru: 'Единая система электронного документооборота (ЕСЭДО)' });

    const diff = await get(sessions.staffA, `/objects/${id}/versions/1/2`, 'ru');
    expect(diff.statusCode).toBe(200);
    expect(diff.body).toContain('data-changes="2"');
    expect(diff.body).toContain('data-path="name.full.ru"');
    expect(diff.body).toContain(escapeHtml(ru('objects.fields.name_full_ru')));
    expect(diff.body).toContain('<del>Единая система электронного документооборота</del>');
    expect(diff.body).toContain('<ins>Единая система электронного документооборота (ЕСЭДО)</ins>');
    expect(diff.body).toContain(`<del>${escapeHtml(ru('objects.funding.own_funds'))}</del>`);
    expect(diff.body).toContain(`<ins>${escapeHtml(ru('objects.funding.state_investment_project'))}</ins>`);

    const page = await get(sessions.staffA, `/objects/${id}`, 'ru');
    expect(page.body).toContain(`href="/objects/${id}/versions/1/2"`);

    const updated = (await auditEvents(id)).find((event) => event.action === 'object.updated')!;
    expect(updated.before).toEqual({ version: 1, values: { 'name.full.ru': 'Единая система электронного документооборота', funding: 'own_funds' } });
    expect(updated.after).toMatchObject({
      version: 2,
      values: { 'name.full.ru': 'Единая система электронного документооборота (ЕСЭДО)', funding: 'state_investment_project' },
      informationChangedOn: '2026-11-02',
      duty: { changedOn: '2026-11-02', dueOn: '2026-11-16', onTime: false },
    });
  });

  it('answers a stale expectedVersion with a conflict that keeps the typed values and saves nothing', async () => {
    const id = await createThroughForm();
    const first = await post(sessions.staffA, `/objects/${id}`, passportFields({ 'passport.name.full.kk': 'Бірінші өзгеріс', expectedVersion: '1' }));
    expect(first.statusCode).toBe(303);
    const stale = await post(sessions.staffA, `/objects/${id}`, passportFields({ 'passport.name.full.kk': 'Екінші өзгеріс', expectedVersion: '1' }));
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('data-conflict');
    expect(stale.body).toContain(escapeHtml(kk('objects.fields.name_full_kk')));
    expect(valueOf(stale.body, 'passport.name.full.kk')).toBe('Екінші өзгеріс');
    // Saving again from this page replaces the other change knowingly.
    expect(valueOf(stale.body, 'expectedVersion')).toBe('2');
    const object = await database.db.selectFrom('objects').select(['version', 'name_kk']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(object).toEqual({ version: 2, name_kk: 'Бірінші өзгеріс' });

    const actor = await authUser(staffA);
    const refused = await updateObject(database.db, actor, id, { passport: (await getObject(database.db, actor, id)).passport, informationChangedOn: '2026-11-02', expectedVersion: 1 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'CONFLICT', details: { reason: 'stale_version', currentVersion: 2 } });
  });
});

describe('who may see and change an object', () => {
  it('answers staff of another organization with 404 on the page, the edit form, saving, moves and versions', async () => {
    const id = await createThroughForm();
    expect((await get(sessions.staffB, `/objects/${id}`)).statusCode).toBe(404);
    expect((await get(sessions.staffB, `/objects/${id}/edit`)).statusCode).toBe(404);
    expect((await get(sessions.staffB, `/objects/${id}/versions/1/1`)).statusCode).toBe(404);
    expect((await post(sessions.staffB, `/objects/${id}`, passportFields({ expectedVersion: '1' }))).statusCode).toBe(404);
    expect((await post(sessions.staffB, `/objects/${id}/moves`, { move: 'terminate', occurredOn: '2026-03-20' })).statusCode).toBe(404);
    const object = await database.db.selectFrom('objects').select('version').where('id', '=', id).executeTakeFirstOrThrow();
    expect(object.version).toBe(1);
    const other = await authUser(staffB);
    await expect(getObject(database.db, other, id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(recordLifecycleMove(database.db, other, id, { move: 'terminate', occurredOn: '2026-03-20' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lets an auditor read the object and its history but not change it (403)', async () => {
    const id = await createThroughForm();
    const page = await get(sessions.auditor, `/objects/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(`href="/objects/${id}/edit"`);
    expect(page.body).not.toContain(`action="/objects/${id}/moves"`);
    expect(page.body).not.toContain(`action="/objects/${id}/reports"`);
    expect((await get(sessions.auditor, `/objects/${id}/versions/1/1`)).statusCode).toBe(200);
    expect((await get(sessions.auditor, '/objects/new')).statusCode).toBe(403);
    expect((await get(sessions.auditor, `/objects/${id}/edit`)).statusCode).toBe(403);
    expect((await post(sessions.auditor, `/objects/${id}`, passportFields({ expectedVersion: '1' }))).statusCode).toBe(403);
    expect((await post(sessions.auditor, `/objects/${id}/moves`, { move: 'complete_development_work', occurredOn: '2026-03-20' })).statusCode).toBe(403);
    expect((await post(sessions.auditor, `/objects/${id}/reports`, { description: 'x', detectedOn: '2026-03-20' })).statusCode).toBe(403);
  });
});

describe('lifecycle moves', () => {
  it('refuses a move whose documents are missing, naming each of them, and a date in the future (422); nothing changes', async () => {
    const id = await createThroughForm();
    const response = await post(sessions.staffA, `/objects/${id}/moves`, { move: 'complete_development_work', occurredOn: '2099-05-05' });
    expect(response.statusCode).toBe(422);
    const documentName = kk('objects.document_kinds.technical_specification');
    expect(response.body).toContain(escapeHtml(kk('objects.refusals.document_missing', { document: documentName })));
    const today = new Intl.DateTimeFormat('kk-KZ', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${toAlmatyDate(new Date())}T00:00:00Z`));
    expect(response.body).toContain(escapeHtml(kk('objects.refusals.date_in_future', { limit: today })));
    expect(valueOf(response.body, 'occurredOn')).toBe('2099-05-05');
    const object = await database.db.selectFrom('objects').select(['stage', 'step']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(object).toEqual({ stage: 'creation', step: 'development_work' });
    expect(await database.db.selectFrom('lifecycle_events').select('id').where('object_id', '=', id).execute()).toEqual([]);

    const actor = await authUser(staffA);
    const refused = await recordLifecycleMove(database.db, actor, id, { move: 'complete_development_work', occurredOn: '2026-03-25' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [{ field: 'move', rule: 'document_missing', params: { documentKind: 'technical_specification' } }] } });
  });

  it('refuses termination before commissioning', async () => {
    const id = await createThroughForm();
    const response = await post(sessions.staffA, `/objects/${id}/moves`, { move: 'terminate', occurredOn: '2026-04-01' });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain(escapeHtml(kk('objects.refusals.not_commissioned')));
    const actor = await authUser(staffA);
    await expect(recordLifecycleMove(database.db, actor, id, { move: 'terminate', occurredOn: '2026-04-01' })).rejects.toMatchObject({
      details: { fields: [{ field: 'move', rule: 'not_commissioned' }] },
    });
    const object = await database.db.selectFrom('objects').select(['stage', 'terminated_on']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(object).toEqual({ stage: 'creation', terminated_on: null });
  });

  it('in operation: shows the warranty and what §18 funding lacks; development and termination need no document, then the object is read-only', async () => {
    const id = await createThroughForm();
    await commissionDirectly(id, '2026-02-10');
    const page = await get(sessions.staffA, `/objects/${id}`, 'ru');
    expect(page.body).toContain(escapeHtml(ru('objects.detail.warranty_in_force', { from: '10 февраля 2026 г.', until: '10 февраля 2027 г.' })));
    expect(page.body).toContain(escapeHtml(ru('objects.detail.funding_missing_field', { field: ru('objects.fields.users_registered') })));
    expect(page.body).toContain(escapeHtml(ru('objects.detail.funding_missing_document', { document: ru('objects.document_kinds.commissioning_act') })));
    expect(page.body).toContain('<option value="start_development"');
    expect(page.body).toContain('<option value="terminate"');

    const started = await post(sessions.staffA, `/objects/${id}/moves`, { move: 'start_development', occurredOn: '2026-03-20' }, 'ru');
    expect(started.statusCode, started.body.slice(0, 2000)).toBe(303);
    expect(started.headers.location).toBe(`/objects/${id}#lifecycle`);
    const developing = await database.db.selectFrom('objects').select(['stage', 'step']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(developing).toEqual({ stage: 'development', step: 'development_work' });
    const moveDuty = (await dutiesOf(id)).find((duty) => duty.source === 'lifecycle_move')!;
    expect(moveDuty).toMatchObject({ description: 'start_development', changed_on: '2026-03-20', due_on: '2026-04-08', fulfilled_at: null });
    const moved = (await auditEvents(id)).find((event) => event.action === 'object.lifecycle_moved')!;
    expect(moved.before).toMatchObject({ stage: 'industrial_operation', step: null });
    expect(moved.after).toMatchObject({ move: 'start_development', stage: 'development', step: 'development_work', duty: { dueOn: '2026-04-08' } });

    // A move may not predate the previous one.
    const early = await post(sessions.staffA, `/objects/${id}/moves`, { move: 'terminate', occurredOn: '2026-03-01' }, 'ru');
    expect(early.statusCode).toBe(422);
    expect(early.body).toContain(escapeHtml(ru('objects.refusals.date_before_previous_move', { limit: '20 марта 2026 г.' })));

    const terminated = await post(sessions.staffA, `/objects/${id}/moves`, { move: 'terminate', occurredOn: '2026-04-01' }, 'ru');
    expect(terminated.statusCode).toBe(303);
    const row = await database.db.selectFrom('objects').select(['stage', 'step', 'terminated_on', 'commissioned_on']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ stage: 'termination', step: null, terminated_on: '2026-04-01', commissioned_on: '2026-02-10' });

    const readOnly = await get(sessions.staffA, `/objects/${id}`, 'ru');
    expect(readOnly.body).toContain(escapeHtml(ru('objects.detail.read_only_notice', { date: '1 апреля 2026 г.' })));
    expect(readOnly.body).not.toContain(`href="/objects/${id}/edit"`);
    expect(readOnly.body).toContain('data-funding="not_supported"');
    const edit = await get(sessions.staffA, `/objects/${id}/edit`, 'ru');
    expect(edit.statusCode).toBe(303);
    const version = (await database.db.selectFrom('objects').select('version').where('id', '=', id).executeTakeFirstOrThrow()).version;
    const save = await post(sessions.staffA, `/objects/${id}`, passportFields({ expectedVersion: String(version) }), 'ru');
    expect(save.statusCode).toBe(303);
    expect((await database.db.selectFrom('objects').select('version').where('id', '=', id).executeTakeFirstOrThrow()).version).toBe(version);
    const actor = await authUser(staffA);
    await expect(
      updateObject(database.db, actor, id, { passport: (await getObject(database.db, actor, id)).passport, informationChangedOn: '2026-04-02', expectedVersion: version }),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'object_terminated' } });
  });
});

describe('update duties', () => {
  it('a reviewer report opens a duty due 10 working days after detection, shown overdue, which the next update fulfils', async () => {
    const id = await createThroughForm();
    const report = await post(sessions.reviewer, `/objects/${id}/reports`, { description: 'Пайдаланушылар саны ескірген', detectedOn: '2026-03-20' });
    expect(report.statusCode, report.body.slice(0, 2000)).toBe(303);
    const reported = (await dutiesOf(id)).find((duty) => duty.source === 'reviewer_report')!;
    expect(reported).toMatchObject({ description: 'Пайдаланушылар саны ескірген', changed_on: '2026-03-20', due_on: '2026-04-08', opened_by: reviewer.id, fulfilled_at: null });
    const audited = (await auditEvents(id)).find((event) => event.action === 'object.outdated_information_reported')!;
    expect(audited.after).toMatchObject({ duty: { id: reported.id, dueOn: '2026-04-08' } });

    // Overdue: its due day passed long ago (the test runs after April 2026).
    const page = await get(sessions.staffA, `/objects/${id}`);
    expect(page.body).toContain('data-open-duties="1"');
    expect(page.body).toMatch(new RegExp(escapeHtml(kk('objects.duties.status_overdue_days', { days: 999 })).replace('999', '\\d+')));
    const list = await get(sessions.staffA, '/duties?status=overdue');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`data-duty="${reported.id}" data-status="overdue"`);

    const refused = await post(sessions.reviewer, `/objects/${id}/reports`, { description: '', detectedOn: '2026-03-20' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('href="#field-description"');

    const saved = await post(sessions.staffA, `/objects/${id}`, passportFields({ 'passport.users.registered': '120', 'passport.users.active': '80', expectedVersion: '1', informationChangedOn: '2026-11-20' }));
    expect(saved.statusCode).toBe(303);
    const fulfilled = (await dutiesOf(id)).find((duty) => duty.id === reported.id)!;
    expect(fulfilled).toMatchObject({ fulfilled_version: 2, fulfilled_by: staffA.id });
    const updated = (await auditEvents(id)).find((event) => event.action === 'object.updated')!;
    expect(updated.after).toMatchObject({ fulfilledDuties: [{ id: reported.id, source: 'reviewer_report', onTime: false }] });
    const after = await get(sessions.staffA, `/objects/${id}`);
    expect(after.body).toContain('data-open-duties="0"');
  });

  it('lists duties: staff their organization only, readers of all duties every organization or one, others refused', async () => {
    const mine = await createThroughForm();
    const theirs = await createThroughForm(sessions.staffB, { 'passport.name.full.kk': 'Қаржы жүйесі', 'passport.name.full.ru': 'Финансовая система' });
    await post(sessions.reviewer, `/objects/${theirs}/reports`, { description: 'Байланыс деректері ескірген', detectedOn: '2026-11-20' });

    const staffList = await get(sessions.staffA, '/duties?status=all');
    expect(staffList.statusCode).toBe(200);
    expect(staffList.body).toContain(`/objects/${mine}#duties`);
    expect(staffList.body).not.toContain(`/objects/${theirs}#duties`);

    const auditorList = await get(sessions.auditor, `/duties?status=all&organization=${organizationB}`);
    expect(auditorList.body).toContain(`/objects/${theirs}#duties`);
    expect(auditorList.body).not.toContain(`/objects/${mine}#duties`);
    const open = await get(sessions.reviewer, '/duties');
    expect(open.body).toContain(`/objects/${theirs}#duties`);
    expect(open.body).toContain('data-status="open"');

    expect((await get(sessions.officer, '/duties')).statusCode).toBe(403);

    const actorB = await authUser(staffB);
    const page = await listDuties(database.db, actorB, { status: 'all', limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
    const next = await listDuties(database.db, actorB, { status: 'all', limit: 1, cursor: page.nextCursor! });
    expect(next.items[0]!.id).not.toBe(page.items[0]!.id);
    await expect(listDuties(database.db, actorB, { status: 'all', organizationId: organizationA })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const summary = await dutiesSummaryForHome(database.db, actorB);
    expect(summary).toMatchObject({ scope: 'organization' });
    expect(summary!.open).toBeGreaterThanOrEqual(1);
    expect(summary!.nearest.every((duty) => duty.organization.id === organizationB)).toBe(true);
    expect(await dutiesSummaryForHome(database.db, await authUser(reviewer))).toMatchObject({ scope: 'all' });
  });
});

describe('the service for the API and the import', () => {
  it('computes the due day on the working-day calendar at any moment (ctx.now) and takes the owner from the actor', async () => {
    const actor = await authUser(staffA);
    const passport = { ...(await getObject(database.db, actor, await createThroughForm())).passport, owner_organization_id: organizationB };
    const saved = await createObject(database.db, actor, { passport, informationChangedOn: '2026-03-20' }, { now: new Date('2026-04-08T18:00:00Z') });
    // 23:00 in Almaty on the due day: still on time.
    expect(saved).toMatchObject({ version: 1, dueOn: '2026-04-08', onTime: true });
    const row = await database.db.selectFrom('objects').select(['organization_id', 'passport']).where('id', '=', saved.id).executeTakeFirstOrThrow();
    expect(row.organization_id).toBe(organizationA);
    expect((row.passport as { owner_organization_id: string }).owner_organization_id).toBe(organizationA);
    await expect(createObject(database.db, await authUser(reviewer), { passport, informationChangedOn: '2026-03-20' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('createObjects registers all or nothing, with errors per item index and field', async () => {
    const actor = await authUser(staffA);
    const { passport } = await getObject(database.db, actor, await createThroughForm());
    const before = await database.db.selectFrom('objects').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const broken = { ...passport, class: 7 };
    const refused = await createObjects(database.db, actor, [
      { passport, informationChangedOn: '2026-03-20' },
      { passport: broken, informationChangedOn: 'yesterday' },
    ]).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'VALIDATION_FAILED' });
    const details = (refused as AppError).details as { items: Array<{ index: number; fields: Array<{ field: string }> }>; fields: Array<{ field: string }> };
    expect(details.items.map((item) => item.index)).toEqual([1]);
    expect(details.items[0]!.fields.map((f) => f.field)).toEqual(expect.arrayContaining(['passport.class', 'informationChangedOn']));
    expect(details.fields.map((f) => f.field)).toEqual(expect.arrayContaining(['1.passport.class', '1.informationChangedOn']));
    const unchanged = await database.db.selectFrom('objects').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(unchanged.n).toBe(before.n);

    const saved = await createObjects(database.db, actor, [
      { passport, informationChangedOn: '2026-03-20' },
      { passport, informationChangedOn: '2026-11-20' },
    ]);
    expect(saved.map((s) => [s.version, s.dueOn])).toEqual([
      [1, '2026-04-08'],
      [1, '2026-12-04'],
    ]);
  });

  it('names every document kind in the locales exactly as the document catalogue does', () => {
    for (const [language, t] of [['kk', kk], ['ru', ru], ['en', translator('en')]] as const) {
      for (const kind of DOCUMENT_KINDS) expect(t(`objects.document_kinds.${kind.id}`)).toBe(kind.name[language]);
    }
  });
});

describe('route access', () => {
  type Actor = 'anonymous' | 'staff' | 'staff_other' | 'reviewer' | 'auditor' | 'admin' | 'authorized_officer';
  type Outcome = 'allowed' | 'hidden' | 'denied';
  const ACTORS: Actor[] = ['anonymous', 'staff', 'staff_other', 'reviewer', 'auditor', 'admin', 'authorized_officer'];
  /** Who may call each route of this module, for an object of the staff member's organization; the rest are denied. "hidden": 404. */
  const TABLE: Record<string, Partial<Record<Actor, Outcome>>> = {
    'GET /objects/new': { staff: 'allowed', staff_other: 'allowed' },
    'POST /objects': { staff: 'allowed', staff_other: 'allowed' },
    'GET /objects/:id': { staff: 'allowed', staff_other: 'hidden', reviewer: 'allowed', auditor: 'allowed', admin: 'allowed', authorized_officer: 'allowed' },
    'GET /objects/:id/edit': { staff: 'allowed', staff_other: 'hidden' },
    'POST /objects/:id': { staff: 'allowed', staff_other: 'hidden' },
    'POST /objects/:id/moves': { staff: 'allowed', staff_other: 'hidden' },
    'POST /objects/:id/reports': { reviewer: 'allowed', admin: 'allowed' },
    'GET /objects/:id/versions/:from/:to': { staff: 'allowed', staff_other: 'hidden', reviewer: 'allowed', auditor: 'allowed', admin: 'allowed', authorized_officer: 'allowed' },
    'GET /duties': { staff: 'allowed', staff_other: 'allowed', reviewer: 'allowed', auditor: 'allowed', admin: 'allowed' },
    'GET /objects/:id/documents/new': { staff: 'allowed', staff_other: 'hidden' },
    'POST /objects/:id/documents': { staff: 'allowed', staff_other: 'hidden' },
    'POST /objects/:id/submit': { staff: 'allowed', staff_other: 'hidden' },
    'GET /objects/:id/submission-manifest': { staff: 'allowed', staff_other: 'hidden' },
    'GET /objects/:id/history': { auditor: 'allowed', admin: 'allowed' },
    'GET /objects/:id/as-of': { auditor: 'allowed', admin: 'allowed' },
  };

  it('declares every route of the module, and lets each role through exactly as the table says', async () => {
    const routes = server.routeAccess.filter((r) => r.method !== 'HEAD' && (r.url.startsWith('/objects') || r.url === '/duties'));
    expect(routes.map((r) => `${r.method} ${r.url}`).sort()).toEqual(Object.keys(TABLE).sort());
    const id = await createThroughForm();
    const page = await server.inject({ url: '/sign-in' });
    const anonymous = { cookie: mergeCookies('', page.headers['set-cookie']), csrf: csrfFrom(page.body) };
    const sessionOf: Record<Actor, Browserless> = {
      anonymous,
      staff: sessions.staffA,
      staff_other: sessions.staffB,
      reviewer: sessions.reviewer,
      auditor: sessions.auditor,
      admin: sessions.admin,
      authorized_officer: sessions.officer,
    };
    const failures: string[] = [];
    for (const route of routes) {
      const url = route.url.replace(':id', id).replace(':from', '1').replace(':to', '1');
      for (const actor of ACTORS) {
        const session = sessionOf[actor];
        const response = route.method === 'GET' ? await get(session, url) : await post(session, url, {});
        const status = response.statusCode;
        const outcome: Outcome =
          status === 401 || status === 403 || (status === 303 && String(response.headers.location).startsWith('/sign-in?return=')) ? 'denied' : status === 404 ? 'hidden' : 'allowed';
        const expected = TABLE[`${route.method} ${route.url}`]?.[actor] ?? 'denied';
        if (outcome !== expected || status >= 500) failures.push(`${route.method} ${route.url} as ${actor}: expected ${expected}, got ${status}`);
      }
    }
    expect(failures).toEqual([]);
    // Nothing above was valid enough to change the object.
    expect((await database.db.selectFrom('objects').select('version').where('id', '=', id).executeTakeFirstOrThrow()).version).toBe(1);
  });
});
