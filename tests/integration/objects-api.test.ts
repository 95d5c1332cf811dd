import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { type FastifyInstance, type FastifySchema, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import app from '../../src/app.ts';
import { createAppDependencies } from '../../src/deps.ts';
import { sessionApiSchemas } from '../../src/modules/auth/auth.api.ts';
import objectsApi, { objectsApiSchemas as schemas } from '../../src/modules/objects/objects.api.ts';
import { registryApiSchemas } from '../../src/modules/registry/registry.api.ts';
import openapiPlugin from '../../src/web/plugins/openapi.plugin.ts';
import { ensureKnownCalendarYears } from '../../src/modules/calendar/calendar.service.ts';
import { toAlmatyDate } from '../../src/modules/calendar/working-days.ts';
import { buildServerOptions } from '../../src/server-options.ts';
import { testConfig } from '../support/app.ts';
import { createOrganization, createUser, mergeCookies, signInAs } from '../support/auth.ts';
import { samplePassport } from '../support/objects.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/** A client of the API: the session cookie of a user signed in on the pages, and its CSRF token from GET /api/session. */
interface ApiSession {
  cookie: string;
  csrfToken: string;
}

let database: TestDatabase;
let server: FastifyInstance;
let organizationId: string;
let staff: ApiSession;
let otherStaff: ApiSession;
let auditor: ApiSession;
let reviewer: ApiSession;
const today = toAlmatyDate(new Date());

/**
 * The portal as the server builds it, plus the API when src/app.ts does not register it yet
 * (openapi first: it documents the routes registered after it).
 */
async function buildApp(db: TestDatabase): Promise<FastifyInstance> {
  const config = testConfig(db, { VERAPDF_BIN: '/nonexistent/verapdf' });
  const fastify = Fastify(buildServerOptions(config));
  await fastify.register(app, createAppDependencies(config, db.db));
  if (!fastify.hasPlugin('portal-openapi')) await fastify.register(openapiPlugin);
  if (!fastify.hasPlugin('portal-objects-api')) await fastify.register(objectsApi);
  await fastify.ready();
  return fastify;
}

async function apiSession(user: Parameters<typeof signInAs>[1]): Promise<ApiSession> {
  const { cookie } = await signInAs(server, user);
  const response = await server.inject({ url: '/api/session', headers: { cookie } });
  expect(response.statusCode).toBe(200);
  return { cookie: mergeCookies(cookie, response.headers['set-cookie']), csrfToken: response.json().csrfToken };
}

/** The routes' own schemas, by route: every answer below is checked against the one documented for its status. */
const ROUTE_SCHEMAS: Array<[string, string, FastifySchema]> = [
  ['GET', '/api/session', sessionApiSchemas.session],
  ['GET', '/api/objects', registryApiSchemas.searchObjects],
  ['POST', '/api/objects', schemas.createObject],
  ['GET', '/api/objects/:id', schemas.getObject],
  ['PUT', '/api/objects/:id', schemas.updateObject],
  ['POST', '/api/objects/:id/moves', schemas.recordMove],
  ['POST', '/api/objects/:id/reports', schemas.reportOutdated],
  ['GET', '/api/objects/:id/versions', schemas.listVersions],
  ['GET', '/api/objects/:id/versions/:from/:to', schemas.compareVersions],
  ['GET', '/api/duties', schemas.listDuties],
  ['POST', '/api/imports/objects', schemas.importObjects],
];
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
let answers: Ajv;

function expectDocumented(method: string, url: string, response: LightMyRequestResponse): void {
  const path = url.split('?')[0]!;
  const route = ROUTE_SCHEMAS.find(([m, pattern]) => m === method && new RegExp(`^${pattern.replace(/:[a-zA-Z]+/g, '[^/]+')}$`).test(path));
  if (!route) throw new Error(`no API route for ${method} ${path}`);
  const documented = (route[2].response as Record<number, object>)[response.statusCode];
  expect(documented, `${method} ${path} answered ${response.statusCode}, which its schema does not document`).toBeDefined();
  const validate = answers.compile(documented!);
  expect(validate(response.json()), `${method} ${path} ${response.statusCode}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

async function call(session: ApiSession | null, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const response = await server.inject({
    method,
    url,
    headers: { ...(session ? { cookie: session.cookie, 'x-csrf-token': session.csrfToken } : {}), ...headers },
    ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }),
  });
  expectDocumented(method, url, response);
  return response;
}

const passport = samplePassport;

async function objectCount(): Promise<number> {
  const row = await database.db.selectFrom('objects').select((eb) => eb.fn.countAll<string>().as('count')).where('organization_id', '=', organizationId).executeTakeFirstOrThrow();
  return Number(row.count);
}

async function createdObject(name: string): Promise<string> {
  const response = await call(staff, 'POST', '/api/objects', { passport: passport(name), informationChangedOn: today });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

function expectErrorShape(body: unknown, code: string): void {
  expect(Object.keys(body as object)).toEqual(['error']);
  const { error } = body as { error: Record<string, unknown> };
  expect(Object.keys(error).sort()).toEqual(['code', 'details', 'message']);
  expect(error.code).toBe(code);
  expect(error.message).toEqual(expect.any(String));
  expect(error.message).not.toBe('');
}

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
  server = await buildApp(database);
  answers = new Ajv({ allErrors: true, strict: false });
  addFormats(answers);
  for (const schema of Object.values(server.getSchemas())) answers.addSchema(schema as object);
  organizationId = await createOrganization(database.db);
  staff = await apiSession(await createUser(database.db, 'staff', { organizationId }));
  otherStaff = await apiSession(await createUser(database.db, 'staff'));
  auditor = await apiSession(await createUser(database.db, 'auditor'));
  reviewer = await apiSession(await createUser(database.db, 'reviewer'));
});
afterAll(async () => {
  await server?.close();
  await database?.destroy();
});

describe('GET /api/session', () => {
  it('gives an anonymous client no user and a token for its new session', async () => {
    const response = await call(null, 'GET', '/api/session');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ user: null, csrfToken: expect.any(String) });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('names the signed-in user', async () => {
    const response = await call(staff, 'GET', '/api/session');
    expect(response.json().user).toEqual({ id: expect.any(String), email: expect.any(String), role: 'staff', organizationId, fullName: expect.any(String) });
  });

  it('is how a client gets the token every write needs: without it a write is refused', async () => {
    const response = await call(staff, 'POST', '/api/objects', { passport: passport(), informationChangedOn: today }, { 'x-csrf-token': 'forged' });
    expect(response.statusCode).toBe(403);
    expectErrorShape(response.json(), 'CSRF_INVALID');
  });
});

describe('objects: create, read, update', () => {
  it('creates an object (201 + Location), reads it back as sent, and updates it on its version', async () => {
    const created = await call(staff, 'POST', '/api/objects', { passport: passport('Реестр лицензий'), informationChangedOn: today });
    expect(created.statusCode, created.body).toBe(201);
    const saved = created.json();
    expect(saved).toEqual({ id: expect.any(String), version: 1, dueOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), onTime: true });
    expect(created.headers.location).toBe(`/api/objects/${saved.id}`);

    const read = await call(staff, 'GET', String(created.headers.location));
    expect(read.statusCode).toBe(200);
    const detail = read.json();
    // The passport as sent, with the owner the service sets: nothing dropped or coerced on the way.
    expect(detail.passport).toEqual({ ...passport('Реестр лицензий'), owner_organization_id: organizationId });
    expect(detail).toMatchObject({ id: saved.id, version: 1, state: { stage: 'creation', step: 'development_work' }, readOnly: false, organization: { id: organizationId } });
    expect(detail.availableMoves).toEqual(['complete_development_work']);
    expect(detail.duties.closed).toHaveLength(1);
    expect(Date.parse(detail.createdAt)).not.toBeNaN();

    const changed = { ...passport('Реестр лицензий'), users: { registered: 10, active: 5 } };
    const updated = await call(staff, 'PUT', `/api/objects/${saved.id}`, { passport: changed, informationChangedOn: today, expectedVersion: 1 });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ id: saved.id, version: 2, onTime: true });
    expect(updated.json().changes).toEqual([
      { path: 'users.registered', after: 10 },
      { path: 'users.active', after: 5 },
    ]);

    // Someone editing version 1 meanwhile: their save is refused, naming the current version.
    const stale = await call(staff, 'PUT', `/api/objects/${saved.id}`, { passport: passport('Другое имя'), informationChangedOn: today, expectedVersion: 1 });
    expect(stale.statusCode).toBe(409);
    expectErrorShape(stale.json(), 'CONFLICT');
    expect(stale.json().error.details).toEqual({ reason: 'stale_version', currentVersion: 2 });
    expect((await call(staff, 'GET', `/api/objects/${saved.id}`)).json().passport.name.full.ru).toBe('Реестр лицензий');

    const versions = await call(staff, 'GET', `/api/objects/${saved.id}/versions`);
    expect(versions.statusCode).toBe(200);
    expect(versions.json().items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const diff = await call(staff, 'GET', `/api/objects/${saved.id}/versions/1/2`);
    expect(diff.statusCode).toBe(200);
    expect(diff.json()).toMatchObject({ objectId: saved.id, from: { version: 1 }, to: { version: 2 } });
    expect(diff.json().changes.map((c: { path: string }) => c.path)).toEqual(['users.registered', 'users.active']);
    expect((await call(staff, 'GET', `/api/objects/${saved.id}/versions/1/9`)).statusCode).toBe(404);
  });

  it('lists objects with the registry filters and a cursor', async () => {
    await createdObject('Портал закупок');
    await createdObject('Портал вакансий');
    const first = await call(staff, 'GET', '/api/objects?q=портал&limit=1&kind=state_body_software&class=2');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ items: [{ nameRu: expect.stringContaining('Портал'), organization: { id: organizationId } }], sort: 'relevance' });
    const second = await call(staff, 'GET', `/api/objects?q=портал&limit=1&kind=state_body_software&class=2&cursor=${first.json().nextCursor}`);
    expect(second.json().items[0].id).not.toBe(first.json().items[0].id);
    // Staff of another organization see none of them.
    expect((await call(otherStaff, 'GET', '/api/objects?q=портал')).json().items).toEqual([]);
  });

  it('refuses an unknown filter value instead of ignoring it', async () => {
    const response = await call(staff, 'GET', '/api/objects?kind=spaceship');
    expect(response.statusCode).toBe(422);
    expectErrorShape(response.json(), 'VALIDATION_FAILED');
    expect(response.json().error.details.fields).toContainEqual({ field: 'kind', rule: 'enum' });
  });
});

describe('who may do what', () => {
  it("answers staff of another organization 404 for an object, as if it did not exist", async () => {
    const id = await createdObject('Чужая система');
    const read = await call(otherStaff, 'GET', `/api/objects/${id}`);
    expect(read.statusCode).toBe(404);
    expectErrorShape(read.json(), 'NOT_FOUND');
    const write = await call(otherStaff, 'PUT', `/api/objects/${id}`, { passport: passport(), informationChangedOn: today, expectedVersion: 1 });
    expect(write.statusCode).toBe(404);
    expect((await call(otherStaff, 'GET', `/api/objects/${id}/versions`)).statusCode).toBe(404);
  });

  it('lets an auditor read but answers 403 to every write, before looking at the body', async () => {
    const id = await createdObject('Система аудита');
    expect((await call(auditor, 'GET', `/api/objects/${id}`)).statusCode).toBe(200);
    const writes = [
      await call(auditor, 'POST', '/api/objects', { passport: passport(), informationChangedOn: today }),
      await call(auditor, 'POST', '/api/objects', { not: 'even a passport' }),
      await call(auditor, 'PUT', `/api/objects/${id}`, { passport: passport(), informationChangedOn: today, expectedVersion: 1 }),
      await call(auditor, 'POST', `/api/objects/${id}/moves`, { move: 'terminate', occurredOn: today }),
      await call(auditor, 'POST', `/api/objects/${id}/reports`, { description: 'Нет данных', detectedOn: today }),
      await call(auditor, 'POST', '/api/imports/objects', { objects: [{ passport: passport(), informationChangedOn: today }] }),
    ];
    for (const response of writes) {
      expect(response.statusCode, response.body).toBe(403);
      expectErrorShape(response.json(), 'FORBIDDEN');
    }
  });

  it('answers an anonymous client 401 in JSON', async () => {
    const response = await call(null, 'GET', '/api/objects');
    expect(response.statusCode).toBe(401);
    expectErrorShape(response.json(), 'UNAUTHENTICATED');
    expect((await call(null, 'POST', '/api/objects', { bad: true })).statusCode).toBe(401);
  });

  it("lets reviewers report outdated information, which staff then see among their organization's duties", async () => {
    const id = await createdObject('Система отчётов');
    expect((await call(staff, 'POST', `/api/objects/${id}/reports`, { description: 'Устарели контакты', detectedOn: today })).statusCode).toBe(403);
    const report = await call(reviewer, 'POST', `/api/objects/${id}/reports`, { description: 'Устарели контакты', detectedOn: today });
    expect(report.statusCode, report.body).toBe(201);
    const duties = await call(staff, 'GET', '/api/duties?status=open');
    expect(duties.statusCode, duties.body).toBe(200);
    expect(duties.json().items).toContainEqual(expect.objectContaining({ id: report.json().dutyId, objectId: id, source: 'reviewer_report', status: 'open', deadline: expect.any(Object) }));
    expect((await call(otherStaff, 'GET', '/api/duties?status=open')).json().items).toEqual([]);
  });
});

describe('validation', () => {
  it('names every field at fault by its path, with the rules the pages use', async () => {
    const bad = { ...passport(), class: '2', name: { full: { kk: '   ', ru: 'Имя' } }, contacts: [{ ...passport().contacts[0]!, phone: '8701' }] };
    const response = await call(staff, 'POST', '/api/objects', { passport: bad, informationChangedOn: '2026-02-30' });
    expect(response.statusCode).toBe(422);
    expectErrorShape(response.json(), 'VALIDATION_FAILED');
    const fields = response.json().error.details.fields;
    expect(fields).toEqual(
      expect.arrayContaining([
        { field: 'passport.class', rule: 'type' },
        { field: 'passport.name.full.kk', rule: 'required' },
        { field: 'passport.contacts.0.phone', rule: 'pattern' },
        { field: 'informationChangedOn', rule: 'date_invalid' },
      ]),
    );
  });

  it('refuses a body of the wrong shape before the service sees it', async () => {
    const response = await call(staff, 'POST', '/api/objects', { passport: passport(), informationChangedOn: today, extra: 1 });
    expect(response.statusCode).toBe(422);
    expect(response.json().error.details.fields).toEqual([{ field: '', rule: 'additionalProperties' }]);
    const missing = await call(staff, 'PUT', '/api/objects/00000000-0000-4000-8000-000000000000', { passport: passport(), informationChangedOn: today });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error.details.fields).toEqual([{ field: 'expectedVersion', rule: 'required' }]);
  });

  it('refuses a lifecycle move the object cannot make yet, naming the missing document', async () => {
    const id = await createdObject('Система переходов');
    const response = await call(staff, 'POST', `/api/objects/${id}/moves`, { move: 'complete_development_work', occurredOn: today });
    expect(response.statusCode).toBe(422);
    expect(response.json().error.details.fields).toEqual([{ field: 'move', rule: 'document_missing', params: { documentKind: 'technical_specification' } }]);
  });
});

describe('POST /api/imports/objects', () => {
  it('imports 3 valid objects', async () => {
    const before = await objectCount();
    const response = await call(staff, 'POST', '/api/imports/objects', {
      objects: ['Импорт один', 'Импорт два', 'Импорт три'].map((name) => ({ passport: passport(name), informationChangedOn: today })),
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().objects).toHaveLength(3);
    expect(await objectCount()).toBe(before + 3);
    const names = await Promise.all(response.json().objects.map(async (o: { id: string }) => (await call(staff, 'GET', `/api/objects/${o.id}`)).json().passport.name.full.ru));
    expect(names).toEqual(['Импорт один', 'Импорт два', 'Импорт три']);
  });

  it('imports nothing when rows 1 and 3 have errors, and names both rows and their fields', async () => {
    const before = await objectCount();
    const objects = ['Ряд 0', 'Ряд 1', 'Ряд 2', 'Ряд 3'].map((name) => ({ passport: passport(name) as Record<string, unknown>, informationChangedOn: today }));
    objects[1]!.passport = { ...objects[1]!.passport, funding: 'lottery' };
    objects[3]!.passport = { ...objects[3]!.passport, contacts: [] };
    objects[3]!.informationChangedOn = '2999-01-01';
    const response = await call(staff, 'POST', '/api/imports/objects', { objects });
    expect(response.statusCode).toBe(422);
    expectErrorShape(response.json(), 'VALIDATION_FAILED');
    const { rows, fields } = response.json().error.details;
    expect(rows).toEqual([
      { row: 1, field: 'passport.funding', rule: 'enum' },
      { row: 3, field: 'passport.contacts', rule: 'minItems' },
      { row: 3, field: 'informationChangedOn', rule: 'date_in_future', params: { limit: today } },
    ]);
    expect(fields.map((f: { field: string }) => f.field)).toEqual(['objects.1.passport.funding', 'objects.3.passport.contacts', 'objects.3.informationChangedOn']);
    expect(await objectCount()).toBe(before);
  });

  it('reports shape errors by row too', async () => {
    const response = await call(staff, 'POST', '/api/imports/objects', {
      objects: [{ passport: passport(), informationChangedOn: today }, { passport: passport() }, { passport: 'none', informationChangedOn: today, note: 1 }],
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error.details.rows).toEqual([
      { row: 1, field: 'informationChangedOn', rule: 'required' },
      { row: 2, field: '', rule: 'additionalProperties' },
      { row: 2, field: 'passport', rule: 'type' },
    ]);
    const empty = await call(staff, 'POST', '/api/imports/objects', { objects: [] });
    expect(empty.json().error.details).toEqual({ fields: [{ field: 'objects', rule: 'minItems' }], rows: [] });
  });

  it('takes the file as a multipart upload', async () => {
    const before = await objectCount();
    const file = JSON.stringify({ objects: [{ passport: passport('Из файла'), informationChangedOn: today }] });
    const boundary = 'portal-test-boundary';
    const body = [`--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="objects.json"', 'Content-Type: application/json', '', file, `--${boundary}--`, ''].join('\r\n');
    const response = await call(staff, 'POST', '/api/imports/objects', body, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(response.statusCode, response.body).toBe(201);
    expect(await objectCount()).toBe(before + 1);

    const noFile = [`--${boundary}`, 'Content-Disposition: form-data; name="note"', '', 'no file here', `--${boundary}--`, ''].join('\r\n');
    const missing = await call(staff, 'POST', '/api/imports/objects', noFile, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error.details).toEqual({ fields: [{ field: 'file', rule: 'required' }], rows: [] });

    const broken = [`--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="objects.json"', 'Content-Type: application/json', '', '{"objects": [', `--${boundary}--`, ''].join('\r\n');
    const refused = await call(staff, 'POST', '/api/imports/objects', broken, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(refused.statusCode).toBe(400);
    expectErrorShape(refused.json(), 'BAD_REQUEST');
  });
});

describe('documentation', () => {
  it('serves Swagger UI at /api/docs under the portal CSP', async () => {
    const page = await server.inject({ url: '/api/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('swagger-ui-bundle.js');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    // No inline script or style for the policy to block: everything is a file of its own.
    expect(page.body).not.toMatch(/<script>|<script(?![^>]*\ssrc=)[^>]*>|<style|\sstyle=/);
    for (const asset of ['/api/docs/static/swagger-ui-bundle.js', '/api/docs/static/swagger-initializer.js', '/api/docs/static/swagger-ui.css']) {
      expect((await server.inject({ url: asset })).statusCode, asset).toBe(200);
    }
  });

  it('lists the API, with its access rules, and the passport schema as a component', async () => {
    const response = await server.inject({ url: '/api/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/document-files/{fileId}',
      '/api/document-files/{fileId}/content',
      '/api/document-files/{fileId}/report',
      '/api/duties',
      '/api/imports/objects',
      '/api/objects',
      '/api/objects/{id}',
      '/api/objects/{id}/documents',
      '/api/objects/{id}/moves',
      '/api/objects/{id}/reports',
      '/api/objects/{id}/submission-manifest',
      '/api/objects/{id}/submit',
      '/api/objects/{id}/versions',
      '/api/objects/{id}/versions/{from}/{to}',
      '/api/review-cases',
      '/api/review-cases/{id}',
      '/api/review-cases/{id}/comments',
      '/api/review-cases/{id}/decision',
      '/api/session',
      '/api/verify',
    ]);
    expect(document.components.schemas.ObjectPassport.properties).toHaveProperty('contacts');
    expect(document.components.schemas.ObjectPassport.required).toContain('kind');
    expect(JSON.stringify(document.paths['/api/objects'].post.requestBody)).toContain('#/components/schemas/');
    expect(JSON.stringify(document.paths['/api/objects/{id}'].put.requestBody)).toContain('#/components/schemas/ObjectPassport');
    expect(document.paths['/api/objects/{id}'].put.security).toEqual([{ session: [], csrfToken: [] }]);
    expect(document.paths['/api/objects/{id}'].put.description).toContain('objects.edit');
    expect(document.paths['/api/session'].get.security).toEqual([]);
  });

  it('declares every API and documentation route public or by permission, as the auth plugin checks them', () => {
    const declared = Object.fromEntries(
      server.routeAccess.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD').map((r) => [`${r.method} ${r.url}`, r.access]),
    );
    expect(declared).toEqual({
      'GET /api/docs': 'public',
      'GET /api/docs/static/index.html': 'public',
      'GET /api/docs/static/swagger-initializer.js': 'public',
      'GET /api/docs/json': 'public',
      'GET /api/docs/yaml': 'public',
      'GET /api/docs/static/*': 'public',
      'GET /api/session': 'public',
      'GET /api/objects': { permission: 'objects.read' },
      'POST /api/objects': { permission: 'objects.edit' },
      'GET /api/objects/:id': { permission: 'objects.read' },
      'PUT /api/objects/:id': { permission: 'objects.edit' },
      'POST /api/objects/:id/moves': { permission: 'objects.edit' },
      'POST /api/objects/:id/reports': { permission: 'objects.report_outdated' },
      'GET /api/objects/:id/versions': { permission: 'objects.read' },
      'GET /api/objects/:id/versions/:from/:to': { permission: 'objects.read' },
      'GET /api/duties': { permission: 'objects.read' },
      'POST /api/imports/objects': { permission: 'objects.edit' },
      'POST /api/objects/:id/documents': { permission: 'objects.edit' },
      'GET /api/objects/:id/documents': { permission: 'objects.read' },
      'GET /api/objects/:id/submission-manifest': { permission: 'objects.edit' },
      'GET /api/document-files/:fileId': { permission: 'objects.read' },
      'GET /api/document-files/:fileId/report': { permission: 'objects.read' },
      'GET /api/document-files/:fileId/content': { permission: 'objects.read' },
      'POST /api/objects/:id/submit': { permission: 'objects.edit' },
      'GET /api/review-cases': { permission: 'reviews.read' },
      'GET /api/review-cases/:id': { permission: 'reviews.read' },
      'POST /api/review-cases/:id/comments': { permission: 'reviews.decide' },
      'POST /api/review-cases/:id/decision': { permission: 'reviews.decide' },
      'GET /api/verify': 'public',
    });
  });

  it('answers an unknown /api/ URL with the JSON error model', async () => {
    const response = await server.inject({ url: '/api/nothing-here' });
    expect(response.statusCode).toBe(404);
    expectErrorShape(response.json(), 'NOT_FOUND');
  });
});
