import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/connection.ts';
import { verifyAuditChain } from '../../src/modules/audit/audit.service.ts';
import { type AuthUser, toAuthUser } from '../../src/access/permissions.ts';
import { ensureKnownCalendarYears, loadCalendarData } from '../../src/modules/calendar/calendar.service.ts';
import { dueAt, toAlmatyDate } from '../../src/modules/calendar/working-days.ts';
import { checkPdfOriginal } from '../../src/modules/documents/check.ts';
import { createVeraPdf } from '../../src/modules/documents/verapdf.ts';
import { isValidAccountCode } from '../../src/modules/reviews/account-code.ts';
import { decideReviewCase } from '../../src/modules/reviews/review-decisions.service.ts';
import { getReviewCase, listReviewCases, submitForReview } from '../../src/modules/reviews/reviews.service.ts';
import { buildTestApp } from '../support/app.ts';
import { type Browserless, createOrganization, createUser, csrfFrom, signInAs, type TestUser } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiUpload, fixtureFile, waitForVerdict } from '../support/documents.ts';
import { samplePassport } from '../support/objects.ts';

/**
 * Review by the service integrator through the real pages and API, on a real database with the
 * real veraPDF: completeness, the 5-working-day case, comments, return and resubmission,
 * approval with the account code and the extract, public verification.
 */

let database: TestDatabase;
let app: FastifyInstance;
let staff: Browserless;
let staffUser: TestUser;
let otherStaff: Browserless;
let reviewer: Browserless;
let reviewerUser: TestUser;
let auditor: Browserless;
let organizationBin: string;
const today = toAlmatyDate(new Date());

async function authUser(user: TestUser): Promise<AuthUser> {
  return toAuthUser(await database.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow());
}

async function call(session: Browserless, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  return app.inject({ method, url, headers: { cookie: session.cookie, 'x-csrf-token': session.csrf }, ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function createObject(name: string): Promise<string> {
  const response = await call(staff, 'POST', '/api/objects', { passport: samplePassport(name), informationChangedOn: today });
  expect(response.statusCode, response.body).toBe(201);
  return (response.json() as { id: string }).id;
}

/** An object in creation with its technical specification accepted: complete for its stage. */
async function completeObject(name: string): Promise<string> {
  const id = await createObject(name);
  const upload = await apiUpload(app, staff, id, 'technical_specification', { pdf: fixtureFile('good/tz.pdfa1.pdf'), docx: fixtureFile('good/tz.docx') });
  expect(upload.statusCode, upload.body).toBe(202);
  const status = await waitForVerdict(app, staff, (upload.json() as { files: { pdf: { id: string } } }).files.pdf.id);
  expect(status.status).toBe('accepted');
  return id;
}

/** The extract's PDF is rendered by its job after the approval commits. */
async function waitForExtract(issuedDocumentId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const row = await database.db.selectFrom('issued_documents').select('pdf_sha256').where('id', '=', issuedDocumentId).executeTakeFirstOrThrow();
    if (row.pdf_sha256) return;
    if (Date.now() > deadline) throw new Error('the extract was not rendered');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function formToken(session: Browserless, url: string): Promise<string> {
  const page = await app.inject({ url, headers: { cookie: session.cookie } });
  expect(page.statusCode, url).toBe(200);
  return csrfFrom(page.body);
}

async function postForm(session: Browserless, url: string, from: string, fields: Record<string, string>) {
  return app.inject({ method: 'POST', url, headers: { cookie: session.cookie }, payload: { ...fields, _csrf: await formToken(session, from) } });
}

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
  app = await buildTestApp(database, {}, { documentChecks: true });
  organizationBin = '990340001230';
  const organization = await createOrganization(database.db, { bin: organizationBin, name_kk: 'Сынақ министрлігі', name_ru: 'Министерство испытаний' });
  staffUser = await createUser(database.db, 'staff', { organizationId: organization });
  staff = await signInAs(app, staffUser);
  otherStaff = await signInAs(app, await createUser(database.db, 'staff', { organizationId: await createOrganization(database.db, { bin: '990340004562' }) }));
  reviewerUser = await createUser(database.db, 'reviewer', { organizationId: null });
  reviewer = await signInAs(app, reviewerUser);
  auditor = await signInAs(app, await createUser(database.db, 'auditor', { organizationId: null }));
}, 120_000);

afterAll(async () => {
  await app?.close();
  await database?.destroy();
});

describe('completeness', () => {
  it('lets only a complete object be submitted, listing exactly what is missing', async () => {
    const id = await createObject('Неполная система');
    const refused = await call(staff, 'POST', `/api/objects/${id}/submit`);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.details.fields).toEqual([{ field: 'submission', rule: 'missing_document', params: { documentKind: 'technical_specification' } }]);
    const page = await app.inject({ url: `/objects/${id}`, headers: { cookie: `${staff.cookie}; lang=ru` } });
    expect(page.body).toContain('data-gap="document:technical_specification"');
    expect(page.body).not.toContain('data-submit-for-review');
    expect(await database.db.selectFrom('review_cases').select('id').where('object_id', '=', id).execute()).toEqual([]);
  });
});

describe('a review case from submission to approval', () => {
  it('returns with comments on a field and a document, is resubmitted, approved with a code and a verifiable extract', async () => {
    const id = await completeObject('Реестр разрешительных документов');

    // Submitted through the page: a case due 5 working days later.
    const submitted = await postForm(staff, `/objects/${id}/submit`, `/objects/${id}`, {});
    expect(submitted.statusCode).toBe(303);
    const [first] = await database.db.selectFrom('review_cases').selectAll().where('object_id', '=', id).execute();
    expect(first!.status).toBe('open');
    const calendar = await loadCalendarData(database.db);
    expect(first!.due_at.toISOString()).toBe(dueAt(first!.submitted_at, 5, calendar).toISOString());
    expect((await call(staff, 'POST', `/api/objects/${id}/submit`)).json().error.details.reason).toBe('case_open');
    expect((await database.db.selectFrom('mail_outbox').select('template').where('entity_id', '=', first!.id).execute()).map((m) => m.template)).toEqual(['review_submitted']);

    // The reviewer's queue, then the case; comments on one field and one document, then return.
    const queue = await app.inject({ url: '/review/cases', headers: { cookie: reviewer.cookie } });
    expect(queue.body).toContain(`data-case="${first!.number}"`);
    const casePath = `/review/cases/${first!.id}`;
    expect((await postForm(reviewer, `${casePath}/take`, casePath, {})).statusCode).toBe(303);
    const badComment = await postForm(reviewer, `${casePath}/comments`, casePath, { target: 'field:no.such.field', body: '' });
    expect(badComment.statusCode).toBe(422);
    expect(badComment.body).toContain('data-error-summary');
    expect((await postForm(reviewer, `${casePath}/comments`, casePath, { target: 'field:purpose.ru', body: 'Уточните назначение: какие разрешения учитываются' })).statusCode).toBe(303);
    expect((await postForm(reviewer, `${casePath}/comments`, casePath, { target: 'document:technical_specification', body: 'В ТЗ нет раздела об информационной безопасности' })).statusCode).toBe(303);
    expect((await postForm(reviewer, `${casePath}/decision`, casePath, { decision: 'return', note: 'Доработайте по замечаниям' })).statusCode).toBe(303);
    expect((await database.db.selectFrom('objects').select('review_status').where('id', '=', id).executeTakeFirstOrThrow()).review_status).toBe('returned');

    // Staff see each comment next to what it concerns.
    const objectPage = await app.inject({ url: `/objects/${id}`, headers: { cookie: `${staff.cookie}; lang=ru` } });
    const purposeRow = /<div data-field="purpose\.ru">[\s\S]*?<\/div>/.exec(objectPage.body)?.[0] ?? '';
    expect(purposeRow).toContain('Уточните назначение');
    const documentRow = /<tr data-document-kind="technical_specification">[\s\S]*?<\/tr>/.exec(objectPage.body)?.[0] ?? '';
    expect(documentRow).toContain('В ТЗ нет раздела');
    expect((await database.db.selectFrom('mail_outbox').select('template').where('entity_id', '=', first!.id).execute()).map((m) => m.template).sort()).toEqual(['review_returned', 'review_submitted']);

    // Fixed: the passport and a new version of the document; resubmitted, a new case.
    const fixed = samplePassport('Реестр разрешительных документов');
    fixed.purpose.ru = 'Учёт разрешений на строительство и их выдача в электронной форме';
    expect((await call(staff, 'PUT', `/api/objects/${id}`, { passport: fixed, informationChangedOn: today, expectedVersion: 1 })).statusCode).toBe(200);
    const upload = await apiUpload(app, staff, id, 'technical_specification', { pdf: fixtureFile('good/akt-oe.pdfa1.pdf'), docx: fixtureFile('good/akt-oe.docx') });
    await waitForVerdict(app, staff, (upload.json() as { files: { pdf: { id: string } } }).files.pdf.id);
    const resubmitted = await call(staff, 'POST', `/api/objects/${id}/submit`);
    expect(resubmitted.statusCode, resubmitted.body).toBe(201);
    const second = resubmitted.json() as { id: string; number: string; objectVersion: number };
    expect(second.number).not.toBe(first!.number);
    expect(second.objectVersion).toBe(2);

    // Frozen: staff edit again meanwhile; the reviewer approves what was submitted.
    const meanwhile = { ...fixed, users: { registered: 12, active: 3 } };
    expect((await call(staff, 'PUT', `/api/objects/${id}`, { passport: meanwhile, informationChangedOn: today, expectedVersion: 2 })).statusCode).toBe(200);
    const detail = await call(reviewer, 'GET', `/api/review-cases/${second.id}`);
    expect(detail.json().snapshot.passport.purpose.ru).toBe(fixed.purpose.ru);
    expect(detail.json().snapshot.passport.users).toBeUndefined();
    expect(detail.json().snapshot.documents.map((d: { kind: string; version: number }) => [d.kind, d.version])).toEqual([['technical_specification', 2]]);
    const approved = await call(reviewer, 'POST', `/api/review-cases/${second.id}/decision`, { decision: 'approve' });
    expect(approved.statusCode, approved.body).toBe(200);
    const result = approved.json() as { accountCode: string; issuedDocument: { id: string; number: string } };
    expect(isValidAccountCode(result.accountCode, { prefix: 'AP' })).toBe(true);
    expect(result.accountCode).toMatch(new RegExp(`^AP-${today.slice(0, 4)}-\\d{6}-\\d{2}$`));
    const object = await database.db.selectFrom('objects').select(['account_code', 'review_status', 'approved_case_id']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(object).toEqual({ account_code: result.accountCode, review_status: 'accepted', approved_case_id: second.id });
    const review = await app.inject({ url: `/objects/${id}`, headers: { cookie: `${staff.cookie}; lang=ru` } });
    expect(review.body).toContain('data-approved-version="2"');
    expect(review.body).toContain('версия 3'); // the pending change, shown apart from the approved version
    expect(review.body).toContain(`href="/objects/${id}/versions/2/3" data-pending-diff`);

    // The extract: a PDF/A-1 file that passes the portal's own check, once its job has rendered it.
    await waitForExtract(result.issuedDocument.id);
    const extract = await app.inject({ url: `/issued-documents/${result.issuedDocument.id}/download`, headers: { cookie: staff.cookie } });
    expect(extract.statusCode).toBe(200);
    expect(extract.headers['content-type']).toBe('application/pdf');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'extract-')), 'extract.pdf');
    writeFileSync(file, extract.rawPayload);
    const check = await checkPdfOriginal(file, createVeraPdf({ bin: app.deps.config.veraPdfBin, timeoutMs: 60_000 }));
    expect(check.verdict, JSON.stringify(check.reasons)).toBe('accepted');
    expect(check.declaredPdfa?.startsWith('1')).toBe(true);
    expect(check.text).toContain(result.accountCode);
    expect(check.text).toContain(result.issuedDocument.number);
    expect(check.text).toContain(organizationBin);
    expect((await app.inject({ url: `/issued-documents/${result.issuedDocument.id}/download`, headers: { cookie: otherStaff.cookie } })).statusCode).toBe(404);

    // Verification: the number and the BIN; anything else says only that no such document exists.
    const verified = await app.inject({ url: `/api/verify?number=${encodeURIComponent(result.issuedDocument.number)}&bin=${organizationBin}` });
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toMatchObject({ number: result.issuedDocument.number, accountCode: result.accountCode, ownerBin: organizationBin, approvedByName: 'Тестов Тест' });
    const wrongBin = await app.inject({ url: `/api/verify?number=${encodeURIComponent(result.issuedDocument.number)}&bin=990340004562` });
    const wrongNumber = await app.inject({ url: `/api/verify?number=EXT-2026-0000-0000&bin=${organizationBin}` });
    expect(wrongBin.statusCode).toBe(404);
    expect(wrongNumber.statusCode).toBe(404);
    expect(wrongBin.json()).toEqual(wrongNumber.json());
    const page = await app.inject({ url: `/verify?number=${encodeURIComponent(result.issuedDocument.number.toLowerCase())}&bin=${organizationBin}`, headers: { cookie: 'lang=kk' } });
    expect(page.body).toContain(`data-verified="${result.issuedDocument.number}"`);
    const pdf = await app.inject({ url: `/verify/extract.pdf?number=${encodeURIComponent(result.issuedDocument.number)}&bin=${organizationBin}` });
    expect(pdf.rawPayload.equals(extract.rawPayload)).toBe(true);
    const notFound = await app.inject({ url: `/verify?number=${encodeURIComponent(result.issuedDocument.number)}&bin=990340004562`, headers: { cookie: 'lang=ru' } });
    expect(notFound.body).toContain('Документа с таким номером и БИН не существует.');
    expect(notFound.body).not.toContain('data-verified');

    // An update after registration: a new case; its approval keeps the account code.
    const update = await call(staff, 'POST', `/api/objects/${id}/submit`);
    expect(update.json().kind).toBe('update');
    const updateApproved = await call(reviewer, 'POST', `/api/review-cases/${update.json().id}/decision`, { decision: 'approve' });
    expect(updateApproved.json().accountCode).toBe(result.accountCode);
    expect(updateApproved.json().issuedDocument.number).not.toBe(result.issuedDocument.number);
    expect((await call(reviewer, 'POST', `/api/review-cases/${update.json().id}/decision`, { decision: 'return', note: 'x' })).json().error.details.reason).toBe('case_decided');

    // Auditors read the case but change nothing; every step is in the audit chain.
    expect((await app.inject({ url: `/review/cases/${second.id}`, headers: { cookie: auditor.cookie } })).statusCode).toBe(200);
    expect((await call(auditor, 'POST', `/api/review-cases/${second.id}/comments`, { target: 'general', body: 'x' })).statusCode).toBe(403);
    const actions = (await database.db.selectFrom('audit_events').select('action').where('action', 'like', 'review_case.%').execute()).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['review_case.submitted', 'review_case.taken', 'review_case.commented', 'review_case.returned', 'review_case.approved']));
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  }, 120_000);

  it('refuses a return that tells the owner nothing', async () => {
    const id = await completeObject('Система без замечаний');
    const submitted = (await call(staff, 'POST', `/api/objects/${id}/submit`)).json() as { id: string };
    const refused = await call(reviewer, 'POST', `/api/review-cases/${submitted.id}/decision`, { decision: 'return' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.details.fields).toEqual([{ field: 'note', rule: 'required_for_return' }]);
  });
});

describe('an approval that rolls back', () => {
  it('leaves no extract, no file in the store and no job behind', async () => {
    const id = await completeObject('Система отката');
    const submitted = (await call(staff, 'POST', `/api/objects/${id}/submit`)).json() as { id: string };
    const storedFiles = () => readdirSync(path.join(app.deps.config.dataDir, 'documents'), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name)).sort();
    const extractJobs = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM pgboss.job WHERE name = 'extract.render'`.execute(database.db)).rows[0]!.n);
    const filesBefore = storedFiles();
    const jobsBefore = await extractJobs();
    // The approval's last write (its e-mail) fails in the database: everything before it rolls back.
    await sql`CREATE FUNCTION refuse_approval_mail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$`.execute(database.db);
    await sql`CREATE TRIGGER refuse_approval_mail BEFORE INSERT ON mail_outbox FOR EACH ROW WHEN (NEW.template = 'review_approved') EXECUTE FUNCTION refuse_approval_mail()`.execute(database.db);
    try {
      const refused = await call(reviewer, 'POST', `/api/review-cases/${submitted.id}/decision`, { decision: 'approve' });
      expect(refused.statusCode).toBe(500);
    } finally {
      await sql`DROP TRIGGER refuse_approval_mail ON mail_outbox`.execute(database.db);
      await sql`DROP FUNCTION refuse_approval_mail()`.execute(database.db);
    }
    // Given the extract worker time to find anything it could render.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await database.db.selectFrom('issued_documents').select('id').where('case_id', '=', submitted.id).execute()).toEqual([]);
    expect((await database.db.selectFrom('review_cases').select('status').where('id', '=', submitted.id).executeTakeFirstOrThrow()).status).toBe('open');
    expect(await extractJobs()).toBe(jobsBefore);
    expect(storedFiles()).toEqual(filesBefore);
  }, 60_000);
});

describe('account codes under concurrency', () => {
  it('approves 50 cases in parallel and gets 50 distinct, valid codes', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i += 1) ids.push(await createObject(`Параллельная система ${i}`));
    // One document, placed on each: the checks run in the background meanwhile.
    const uploads = await Promise.all(ids.map((id) => apiUpload(app, staff, id, 'technical_specification', { pdf: fixtureFile('good/tz.pdfa1.pdf'), docx: fixtureFile('good/tz.docx') })));
    await Promise.all(uploads.map((u) => waitForVerdict(app, staff, (u.json() as { files: { pdf: { id: string } } }).files.pdf.id)));
    const cases: string[] = [];
    for (const id of ids) cases.push(((await call(staff, 'POST', `/api/objects/${id}/submit`)).json() as { id: string }).id);
    const reviewerActor = await authUser(reviewerUser);
    const deps = { db: database.db, jobs: app.deps.jobs, baseUrl: 'https://portal.example.kz', accountCodePrefix: 'AP' };
    const results = await Promise.all(cases.map((caseId) => decideReviewCase(deps, reviewerActor, caseId, { decision: 'approve' })));
    const codes = results.map((r) => r.accountCode!);
    expect(new Set(codes).size).toBe(50);
    expect(codes.every((code) => isValidAccountCode(code, { prefix: 'AP' }))).toBe(true);
    expect(new Set(results.map((r) => r.issuedDocument!.number)).size).toBe(50);
  }, 180_000);

  it('queues approvals without holding connections: the rest of the portal still gets one', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i += 1) ids.push(await completeObject(`Очередь одобрений ${i}`));
    const cases: string[] = [];
    for (const id of ids) cases.push(((await call(staff, 'POST', `/api/objects/${id}/submit`)).json() as { id: string }).id);
    const reviewerActor = await authUser(reviewerUser);
    // A pool of two: approvals waiting for the account-code counter would hold both.
    const small = connectDatabase(database.url, { max: 2 });
    try {
      const deps = { db: small.db, jobs: app.deps.jobs, baseUrl: 'https://portal.example.kz', accountCodePrefix: 'AP' };
      const finished: string[] = [];
      const approvals = cases.map((caseId, index) =>
        decideReviewCase(deps, reviewerActor, caseId, { decision: 'approve' }).then((result) => {
          finished.push(`approval ${index}`);
          return result;
        }),
      );
      // Asked once an approval holds a connection: it gets the other one at once, before the second
      // approval is done (with each approval waiting on a connection, it would queue behind four).
      while (small.pool.totalCount - small.pool.idleCount < 1) await new Promise((resolve) => setTimeout(resolve, 2));
      const other = small.pool.query('SELECT 1').then(() => finished.push('other request'));
      const results = await Promise.all(approvals);
      await other;
      expect(finished.indexOf('other request')).toBeLessThanOrEqual(1);
      expect(new Set(results.map((r) => r.accountCode)).size).toBe(6);
    } finally {
      await small.close();
    }
  }, 120_000);
});

describe('deadlines across weekends and public holidays', () => {
  it('is due at the end of the 5th working day after receipt, and shows on time, due today and overdue', async () => {
    const id = await completeObject('Система сроков');
    const staffActor = await authUser(staffUser);
    const reviewerActor = await authUser(reviewerUser);
    // Friday 20 March 2026, 15:00 in Astana; 21–25 March are Nauryz days off.
    const received = new Date('2026-03-20T10:00:00Z');
    const submitted = await submitForReview({ db: database.db, baseUrl: 'https://portal.example.kz' }, staffActor, id, { now: received });
    // Working days after receipt: 26, 27, 30, 31 March and 1 April.
    expect(submitted.dueAt.toISOString()).toBe('2026-04-01T18:59:59.999Z');
    const at = async (instant: string) => (await listReviewCases(database.db, reviewerActor, 'all', { now: new Date(instant) })).find((c) => c.id === submitted.id)!;
    expect((await at('2026-03-24T06:00:00Z')).timeliness).toBe('on_time');
    expect((await at('2026-03-24T06:00:00Z')).deadline?.workingDaysLeft).toBe(5);
    expect((await at('2026-03-31T06:00:00Z')).deadline?.workingDaysLeft).toBe(2);
    expect((await at('2026-04-01T06:00:00Z')).timeliness).toBe('due_today');
    expect((await at('2026-04-01T18:59:59Z')).timeliness).toBe('due_today');
    expect((await at('2026-04-01T19:00:01Z')).timeliness).toBe('overdue');
    // Monday 6 April: overdue by 3 working days (2, 3 and 6 April).
    expect((await at('2026-04-06T06:00:00Z')).deadline?.workingDaysOverdue).toBe(3);
    const overdue = await listReviewCases(database.db, reviewerActor, 'overdue', { now: new Date('2026-04-02T06:00:00Z') });
    expect(overdue.map((c) => c.id)).toContain(submitted.id);
    await decideReviewCase({ db: database.db, jobs: app.deps.jobs, baseUrl: 'https://portal.example.kz', accountCodePrefix: 'AP' }, reviewerActor, submitted.id, { decision: 'approve' }, { now: new Date('2026-04-02T04:00:00Z') });
    const decided = await getReviewCase(database.db, reviewerActor, submitted.id, { now: new Date('2026-04-03T04:00:00Z') });
    expect(decided.timeliness).toBe('decided_late');
  }, 120_000);
});

describe('the SLA report', () => {
  it('shows the month as a table, a server-drawn chart and CSV', async () => {
    const month = today.slice(0, 7);
    const page = await app.inject({ url: `/review/reports/sla?month=${month}`, headers: { cookie: `${reviewer.cookie}; lang=kk` } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-sla');
    expect(page.body).toMatch(/<svg[^>]*role="img"/);
    const csv = await app.inject({ url: `/review/reports/sla.csv?month=${month}`, headers: { cookie: `${reviewer.cookie}; lang=ru` } });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.charCodeAt(0)).toBe(0xfeff);
    expect(csv.body).toContain('Тестов Тест');
    expect((await app.inject({ url: '/review/reports/sla', headers: { cookie: staff.cookie } })).statusCode).toBe(403);
  });
});

describe('verification is rate-limited', () => {
  it('answers 429 past 20 tries a minute from one address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 22; i += 1) {
      statuses.push((await app.inject({ url: `/api/verify?number=EXT-2026-0000-000${i % 10}&bin=990340001230`, headers: { 'x-forwarded-for': '203.0.113.9' }, remoteAddress: '203.0.113.9' })).statusCode);
    }
    expect(statuses.slice(0, 20).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
  });
});
