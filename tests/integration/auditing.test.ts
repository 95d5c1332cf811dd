import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAuthUser } from '../../src/access/permissions.ts';
import { auditEventHash, type HashedAuditFields } from '../../src/modules/audit/audit-hash.ts';
import { recordAuditEvent, verifyAuditChain } from '../../src/modules/audit/audit.service.ts';
import { listAuditEvents, parseAuditFilters, publishChainHead, runAuditVerification } from '../../src/modules/auditing/auditing.service.ts';
import { ensureKnownCalendarYears } from '../../src/modules/calendar/calendar.service.ts';
import { toAlmatyDate } from '../../src/modules/calendar/working-days.ts';
import { buildTestApp } from '../support/app.ts';
import { type Browserless, createOrganization, createUser, signInAs, type TestUser } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiUpload, fixtureFile, waitForVerdict } from '../support/documents.ts';
import { samplePassport } from '../support/objects.ts';
import { projectRoot } from '../support/paths.ts';

let database: TestDatabase;
let app: FastifyInstance;
let staff: Browserless;
let reviewer: Browserless;
let auditor: Browserless;
let staffUser: TestUser;
let reviewerUser: TestUser;
let auditorUser: TestUser;
let objectId: string;
const moments: Record<'beforeRegistration' | 'afterSubmission' | 'afterApproval', Date> = {} as never;
const today = toAlmatyDate(new Date());

async function call(session: Browserless, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  return app.inject({ method, url, headers: { cookie: session.cookie, 'x-csrf-token': session.csrf }, ...(payload === undefined ? {} : { payload: payload as object }) });
}

function attributes(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`${name}="([^"]*)"`, 'g'))].map((match) => match[1]!);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
  app = await buildTestApp(database, {}, { documentChecks: true });
  const organization = await createOrganization(database.db);
  staffUser = await createUser(database.db, 'staff', { organizationId: organization });
  staff = await signInAs(app, staffUser);
  reviewerUser = await createUser(database.db, 'reviewer', { organizationId: null });
  reviewer = await signInAs(app, reviewerUser);
  auditorUser = await createUser(database.db, 'auditor', { organizationId: null });
  auditor = await signInAs(app, auditorUser);

  // One object's whole journey: registration, a passport change, a document, submission, approval.
  moments.beforeRegistration = new Date();
  await pause(20);
  const created = await call(staff, 'POST', '/api/objects', { passport: samplePassport('Система учета лицензий'), informationChangedOn: today });
  expect(created.statusCode, created.body).toBe(201);
  objectId = (created.json() as { id: string }).id;
  const updated = await call(staff, 'PUT', `/api/objects/${objectId}`, {
    passport: { ...samplePassport('Система учета лицензий'), purpose: { kk: 'Лицензиялар есебі', ru: 'Учет выданных лицензий' } },
    informationChangedOn: today,
    expectedVersion: 1,
  });
  expect(updated.statusCode, updated.body).toBe(200);
  const upload = await apiUpload(app, staff, objectId, 'technical_specification', { pdf: fixtureFile('good/tz.pdfa1.pdf'), docx: fixtureFile('good/tz.docx') });
  expect(upload.statusCode, upload.body).toBe(202);
  expect((await waitForVerdict(app, staff, (upload.json() as { files: { pdf: { id: string } } }).files.pdf.id)).status).toBe('accepted');
  const submitted = await call(staff, 'POST', `/api/objects/${objectId}/submit`);
  expect(submitted.statusCode, submitted.body).toBe(201);
  await pause(20);
  moments.afterSubmission = new Date();
  await pause(20);
  const caseId = (submitted.json() as { id: string }).id;
  const approved = await call(reviewer, 'POST', `/api/review-cases/${caseId}/decision`, { decision: 'approve' });
  expect(approved.statusCode, approved.body).toBe(200);
  await pause(20);
  moments.afterApproval = new Date();
}, 180_000);

afterAll(async () => {
  await app?.close();
  await database?.destroy();
});

describe('an object on its timeline', () => {
  it('shows every step in order, with who did it and a permalink, and filters by kind', async () => {
    const page = await call(auditor, 'GET', `/objects/${objectId}/history`);
    expect(page.statusCode, page.body).toBe(200);
    const actions = attributes(page.body, 'data-action');
    expect(actions[0]).toBe('object.created');
    for (const action of ['object.updated', 'document.uploaded', 'document_file.checked', 'review_case.submitted', 'review_case.approved', 'object.account_code_assigned']) {
      expect(actions).toContain(action);
    }
    expect(actions.indexOf('review_case.submitted')).toBeLessThan(actions.indexOf('review_case.approved'));
    expect(page.body).toContain('Тестов Тест');
    const permalink = /href="\/audit\/events\/(\d+)"/.exec(page.body)![1]!;
    expect((await call(auditor, 'GET', `/audit/events/${permalink}`)).statusCode).toBe(200);
    // The passport change shows its field diff.
    expect(page.body).toContain('Учет выданных лицензий');

    const review = await call(auditor, 'GET', `/objects/${objectId}/history?kind=review`);
    expect(new Set(attributes(review.body, 'data-kind').filter((kind) => kind !== ''))).toEqual(new Set(['review']));
  });

  it('shows the object as it stood at a past moment, from the recorded history', async () => {
    const at = (moment: Date) => `/objects/${objectId}/as-of?at=${encodeURIComponent(moment.toLocaleString('sv-SE', { timeZone: 'Asia/Almaty' }).slice(0, 16).replace(' ', 'T'))}`;
    // Minutes are the page's precision: the moments are within the same minute, so read through the service for exactness.
    const { getObjectAsOf } = await import('../../src/modules/auditing/object-history.service.ts');
    const actor = toAuthUser({ id: auditorUser.id, email: auditorUser.email, role: 'auditor', organization_id: null, surname: 'Тестов', given_name: 'Тест', patronymic: null });
    const before = await getObjectAsOf(database.db, actor, objectId, moments.beforeRegistration);
    expect(before.state.registered).toBe(false);
    const inReview = await getObjectAsOf(database.db, actor, objectId, moments.afterSubmission);
    expect(inReview.state).toMatchObject({ registered: true, stage: 'creation', passportVersion: 2, reviewStatus: 'submitted', accountCode: null });
    expect(inReview.state.documents.map((document) => [document.kind, document.files.map((file) => file.status)])).toEqual([['technical_specification', ['accepted', 'accepted']]]);
    expect((inReview.passport as { purpose: { ru: string } }).purpose.ru).toBe('Учет выданных лицензий');
    const accepted = await getObjectAsOf(database.db, actor, objectId, moments.afterApproval);
    expect(accepted.state.reviewStatus).toBe('accepted');
    expect(accepted.state.accountCode).toMatch(/^AP-\d{4}-\d{6}-\d{2}$/);

    const page = await call(auditor, 'GET', at(moments.afterApproval));
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).toContain(`data-account-code="${accepted.state.accountCode}"`);
    const bad = await call(auditor, 'GET', `/objects/${objectId}/as-of?at=yesterday`);
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('error-summary');
  });
});

describe('the audit log viewer', () => {
  it('filters to one reviewer’s decisions by e-mail and action, and pages by keyset', async () => {
    const decisions = await call(auditor, 'GET', `/audit?actor=${encodeURIComponent(reviewerUser.email)}&action=review_case.approved`);
    expect(decisions.statusCode, decisions.body).toBe(200);
    expect(attributes(decisions.body, 'data-action')).toEqual(['review_case.approved']);

    const byObject = await call(auditor, 'GET', `/audit?object=${objectId}`);
    const objectEvents = attributes(byObject.body, 'data-event-id');
    expect(objectEvents.length).toBeGreaterThanOrEqual(7);
    expect(objectEvents.map(Number)).toEqual([...objectEvents.map(Number)].sort((a, b) => b - a));

    const actor = toAuthUser({ id: auditorUser.id, email: auditorUser.email, role: 'auditor', organization_id: null, surname: 'Т', given_name: 'Т', patronymic: null });
    const filters = parseAuditFilters({ object: objectId });
    const seen: string[] = [];
    let before: string | undefined;
    do {
      const page = await listAuditEvents(database.db, actor, filters, { limit: 2, ...(before ? { before } : {}) });
      seen.push(...page.events.map((event) => event.id));
      before = page.nextBefore ?? undefined;
    } while (before);
    expect(seen).toEqual(objectEvents);

    const byKind = await call(auditor, 'GET', `/audit?object=${objectId}&action=review_case`);
    expect(new Set(attributes(byKind.body, 'data-action'))).toEqual(new Set(['review_case.submitted', 'review_case.approved']));
    const byText = await call(auditor, 'GET', `/audit?q=${encodeURIComponent('лицензий')}`);
    expect(attributes(byText.body, 'data-action')).toContain('object.created');
    const thisMonth = await call(auditor, 'GET', `/audit?from=${today}&to=${today}&object=${objectId}`);
    expect(attributes(thisMonth.body, 'data-event-id')).toEqual(objectEvents);
    const tomorrowOnly = await call(auditor, 'GET', `/audit?from=2099-01-01&object=${objectId}`);
    expect(tomorrowOnly.body).toContain('data-empty');
  });

  it('refuses bad filters with the form again, and staff altogether', async () => {
    const bad = await call(auditor, 'GET', '/audit?object=nope&from=31.12.2026&actor=nobody%40nowhere.kz');
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('value="nope"');
    expect(bad.body).toContain('error-summary');
    expect((await call(staff, 'GET', '/audit')).statusCode).toBe(403);
    expect((await call(staff, 'GET', `/objects/${objectId}/history`)).statusCode).toBe(403);
  });

  it('exports the filtered events as CSV and JSON Lines whose hashes recompute', async () => {
    const csv = await call(auditor, 'GET', `/audit/export.csv?object=${objectId}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.startsWith('\uFEFF')).toBe(true);
    const lines = csv.body.trim().split('\r\n');
    const listed = attributes((await call(auditor, 'GET', `/audit?object=${objectId}`)).body, 'data-event-id');
    expect(lines).toHaveLength(listed.length + 1);

    const jsonl = await call(auditor, 'GET', `/audit/export.jsonl?actor=${encodeURIComponent(reviewerUser.email)}&action=review_case.approved`);
    const records = jsonl.body.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((record) => record.action)).toEqual(['review_case.approved']);
    for (const record of records) {
      const fields = record as unknown as Omit<HashedAuditFields, 'occurredAt'> & { occurredAt: string; hash: string };
      expect(auditEventHash({ ...fields, occurredAt: new Date(fields.occurredAt) })).toBe(fields.hash);
    }
  });

  it('records who opened the object page, downloaded a file and took an export, without a write on the request path', async () => {
    expect((await call(staff, 'GET', `/objects/${objectId}`)).statusCode).toBe(200);
    await app.deps.accessLog.flush();
    const access = await call(auditor, 'GET', `/audit/access?object=${objectId}&kind=object_page`);
    expect(access.statusCode).toBe(200);
    expect(access.body).toContain(staffUser.email);
    const fileId = (await database.db.selectFrom('document_files').select('id').where('slot', '=', 'pdf').executeTakeFirstOrThrow()).id;
    expect((await call(staff, 'GET', `/documents/files/${fileId}/download`)).statusCode).toBe(200);
    await app.deps.accessLog.flush();
    const downloads = await call(auditor, 'GET', `/audit/access?object=${objectId}&kind=document_download`);
    expect(downloads.body).toContain(fileId);
    const exports = await call(auditor, 'GET', '/audit/access?kind=export');
    expect(attributes(exports.body, 'data-access-kind')).toContain('export');
    const timeline = await call(auditor, 'GET', `/objects/${objectId}/history`);
    expect(attributes(timeline.body, 'data-access-kind')).toContain('object_page');
  });

  it('verifies the chain on request and shows the result', async () => {
    const verify = await call(auditor, 'POST', '/audit/verify');
    expect(verify.statusCode).toBe(303);
    for (let i = 0; i < 100; i += 1) {
      const page = await call(auditor, 'GET', '/audit');
      if (page.body.includes('data-verification="ok"')) return;
      await pause(100);
    }
    throw new Error('the verification did not finish');
  });
});

describe('a tampered or rewritten chain', () => {
  let own: TestDatabase;
  beforeAll(async () => {
    own = await createTestDatabase();
    const actor = { kind: 'system', label: 'system:test' } as const;
    for (let i = 0; i < 6; i += 1) {
      await own.db.transaction().execute((trx) => recordAuditEvent(trx, { actor, entityType: 'organization', entityId: `o${i}`, action: 'organization.updated', after: { name: `Org ${i}` } }));
    }
  });
  afterAll(async () => {
    await own?.destroy();
  });

  function runAuditVerify(args: string[]): Promise<{ code: number | null; stdout: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(projectRoot, 'src', 'cli', 'audit-verify.ts'), ...args], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: own.url, NODE_ENV: 'test', SESSION_SECRET: 'x'.repeat(40) }, cwd: projectRoot });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stdout }));
    });
  }

  it('catches a rewrite whose hashes were all recomputed, against the head published before it', async () => {
    const tomorrow = new Date(Date.now() + 36 * 60 * 60 * 1000);
    const head = await publishChainHead(own.db, toAlmatyDate(new Date()), tomorrow);
    expect(head).toMatchObject({ eventCount: 6 });
    const headsFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'heads-')), 'heads.json');
    writeFileSync(headsFile, JSON.stringify({ heads: [{ day: head!.day, lastEventId: head!.lastEventId, eventCount: head!.eventCount, headHash: head!.headHash }] }));
    expect((await runAuditVerify(['--heads', headsFile])).stdout).toContain('agrees with 1 published heads');

    // Someone who controls the database rewrites event 3 and recomputes every hash after it.
    await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete`.execute(own.db);
    const rows = await own.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
    let previous = rows[1]!.hash;
    for (const row of rows.slice(2)) {
      const after = row.id === rows[2]!.id ? { name: 'Rewritten' } : row.after;
      const hash = auditEventHash({ id: row.id, occurredAt: row.occurred_at, actorUserId: row.actor_user_id, actorOrganizationId: row.actor_organization_id, actorLabel: row.actor_label, entityType: row.entity_type, entityId: row.entity_id, action: row.action, before: row.before, after, requestId: row.request_id, prevHash: previous });
      await own.db.updateTable('audit_events').set({ after: JSON.stringify(after), prev_hash: previous, hash }).where('id', '=', row.id).execute();
      previous = hash;
    }
    await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete`.execute(own.db);
    expect((await verifyAuditChain(own.db)).ok).toBe(true);
    const against = await verifyAuditChain(own.db, 2000, [head!]);
    expect(against.firstBroken).toEqual({ id: head!.lastEventId, reason: 'published_head_mismatch', day: head!.day });
    const cli = await runAuditVerify(['--heads', headsFile]);
    expect(cli.code).toBe(2);
    expect(cli.stdout).toContain(`BROKEN at event ${head!.lastEventId}`);
    const run = await runAuditVerification(own.db, { trigger: 'manual', requestedBy: null });
    expect(run).toMatchObject({ ok: false, brokenEventId: head!.lastEventId, brokenReason: 'published_head_mismatch' });
  });

  it('names the event altered directly in SQL, in the viewer and in audit:verify', async () => {
    const rows = await own.db.selectFrom('audit_events').select(['id']).orderBy('id').execute();
    const victim = rows[1]!.id;
    await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete`.execute(own.db);
    await own.db.updateTable('audit_events').set({ after: JSON.stringify({ name: 'Quietly changed' }) }).where('id', '=', victim).execute();
    await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete`.execute(own.db);
    const cli = await runAuditVerify([]);
    expect(cli.code).toBe(2);
    expect(cli.stdout).toContain(`BROKEN at event ${victim}: its content does not match its hash`);
    await runAuditVerification(own.db, { trigger: 'manual', requestedBy: null });
    const viewer = await buildTestApp(own);
    try {
      const admin = await createUser(own.db, 'auditor', { organizationId: null });
      const session = await signInAs(viewer, admin);
      const page = await viewer.inject({ url: '/audit', headers: { cookie: session.cookie } });
      expect(page.body).toContain('data-verification="broken"');
      expect(page.body).toContain(`href="/audit/events/${victim}"`);
      const heads = await viewer.inject({ url: '/audit/heads.json' });
      expect((heads.json() as { heads: unknown[] }).heads).toHaveLength(1);
      expect((await viewer.inject({ url: '/audit/heads' })).statusCode).toBe(200);
    } finally {
      await viewer.close();
    }
  });
});
