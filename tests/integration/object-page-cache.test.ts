import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.ts';
import { toAuthUser } from '../../src/access/permissions.ts';
import { ensureKnownCalendarYears } from '../../src/modules/calendar/calendar.service.ts';
import { createObject as createObjectDirectly } from '../../src/modules/objects/objects.service.ts';
import { toAlmatyDate } from '../../src/modules/calendar/working-days.ts';
import { translator } from '../../src/web/i18n.ts';
import { buildTestApp } from '../support/app.ts';
import { type Browserless, createOrganization, createUser, signInAs, type TestUser } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiUpload, fixtureFile, waitForVerdict } from '../support/documents.ts';
import { samplePassport } from '../support/objects.ts';

/**
 * The object page's cache (src/web/page-cache.ts) on the real app, database and check worker: a
 * kept body is shared by the viewers of a role and language and holds nothing of any of them; and
 * whatever changes what a page shows — a service, the check worker, plain SQL, a rename elsewhere,
 * the calendar, midnight — shows on the next request.
 */

const ru = translator('ru');
const kk = translator('kk');
const today = toAlmatyDate(new Date());

let database: TestDatabase;
let app: FastifyInstance;
let organization: string;
let staffUser: TestUser;
let staff: Browserless;
let staff2: Browserless;
let reviewer: Browserless;
let auditors: Browserless[];

async function call(session: Browserless, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  const response = await app.inject({ method, url, headers: { cookie: session.cookie, 'x-csrf-token': session.csrf }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return response;
}

async function createObject(session: Browserless, passport: ReturnType<typeof samplePassport>): Promise<string> {
  const response = await call(session, 'POST', '/api/objects', { passport, informationChangedOn: today });
  expect(response.statusCode, response.body).toBe(201);
  return (response.json() as { id: string }).id;
}

function page(session: Browserless, id: string, language = 'ru') {
  return app.inject({ url: `/objects/${id}`, headers: { cookie: `${session.cookie}; lang=${language}` } });
}

/** The page's main part: what the cache keeps (the layout around it is rendered per request). */
function main(html: string): string {
  return /<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '';
}

function tokensIn(html: string): string[] {
  return [...html.matchAll(/name="_csrf" value="([^"]+)"/g)].map((match) => match[1]!);
}

async function stamp(id: string): Promise<string> {
  const row = await database.db
    .selectFrom('object_page_stamps as s')
    .crossJoin('page_reference_stamp as r')
    .select(['s.stamp', 'r.stamp as reference'])
    .where('s.object_id', '=', id)
    .executeTakeFirstOrThrow();
  return `${row.stamp}.${row.reference}`;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
  app = await buildTestApp(database, {}, { documentChecks: true });
  organization = await createOrganization(database.db, { bin: '990340001230', name_kk: 'Кэш министрлігі', name_ru: 'Министерство кэша' });
  staffUser = await createUser(database.db, 'staff', { organizationId: organization });
  staff = await signInAs(app, staffUser);
  staff2 = await signInAs(app, await createUser(database.db, 'staff', { organizationId: organization }));
  reviewer = await signInAs(app, await createUser(database.db, 'reviewer', { organizationId: null }));
  auditors = [];
  for (const surname of ['Первова', 'Вторый']) {
    const auditor = await createUser(database.db, 'auditor', { organizationId: null });
    await database.db.updateTable('users').set({ surname }).where('id', '=', auditor.id).execute();
    auditors.push(await signInAs(app, auditor));
  }
}, 120_000);

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await app?.close();
  await database?.destroy();
});

describe('one kept page for the viewers of a role', () => {
  it('is served again, with each viewer’s own name in the header', async () => {
    const id = await createObject(staff, samplePassport('Система общего просмотра'));
    const before = app.deps.pageCache.stats();
    const first = await page(auditors[0]!, id);
    const second = await page(auditors[1]!, id);
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    const after = app.deps.pageCache.stats();
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
    expect(main(second.body)).toBe(main(first.body));
    expect(main(first.body)).toContain('Система общего просмотра');
    expect(first.body).toContain('Первова');
    expect(second.body).toContain('Вторый');
    expect(second.body).not.toContain('Первова');
  });

  it('fills its forms with each session’s own CSRF token, and the token works only for that session', async () => {
    const id = await createObject(staff, samplePassport('Система с формами'));
    const mine = await page(staff, id);
    const theirs = await page(staff2, id);
    expect(main(theirs.body).replace(/name="_csrf" value="[^"]+"/g, '')).toBe(main(mine.body).replace(/name="_csrf" value="[^"]+"/g, ''));
    const myTokens = tokensIn(main(mine.body));
    const theirTokens = tokensIn(main(theirs.body));
    expect(myTokens.length).toBeGreaterThan(0);
    expect(theirTokens.length).toBe(myTokens.length);
    // No placeholder is ever sent.
    for (const html of [mine.body, theirs.body]) expect(html).not.toMatch(/csrf[0-9a-f]{32}/);
    expect(theirTokens.some((token) => myTokens.includes(token))).toBe(false);

    const move = (session: Browserless, token: string) =>
      app.inject({
        method: 'POST',
        url: `/objects/${id}/moves`,
        headers: { cookie: `${session.cookie}; lang=ru`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ move: 'complete_development_work', occurredOn: today, _csrf: token }).toString(),
      });
    // The other session's token is refused; its own passes the check (and the move is refused for
    // the missing technical specification, on the page shown again with the error).
    expect((await move(staff2, myTokens[0]!)).statusCode).toBe(403);
    const refused = await move(staff2, theirTokens[0]!);
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('data-error-summary');
  });

  it('keeps a page per language and per role', async () => {
    const id = await createObject(staff, samplePassport('Система ролей'));
    const inRussian = await page(auditors[0]!, id, 'ru');
    const inKazakh = await page(auditors[0]!, id, 'kk');
    expect(inRussian.body).toContain(ru('objects.detail.owner'));
    expect(inKazakh.body).toContain(kk('objects.detail.owner'));
    expect(inKazakh.body).not.toContain(ru('objects.detail.owner'));

    const auditorPage = await page(auditors[0]!, id);
    const staffPage = await page(staff, id);
    const reviewerPage = await page(reviewer, id);
    expect(auditorPage.body).not.toContain(`href="/objects/${id}/edit"`);
    expect(auditorPage.body).not.toContain(`action="/objects/${id}/reports"`);
    expect(staffPage.body).toContain(`href="/objects/${id}/edit"`);
    expect(staffPage.body).not.toContain(`action="/objects/${id}/reports"`);
    expect(reviewerPage.body).toContain(`action="/objects/${id}/reports"`);
    expect(reviewerPage.body).not.toContain(`href="/objects/${id}/edit"`);
  });

  it('still hides an object of another organization', async () => {
    const id = await createObject(staff, samplePassport('Система чужих'));
    expect((await page(auditors[0]!, id)).statusCode).toBe(200);
    const outsider = await signInAs(app, await createUser(database.db, 'staff', { organizationId: await createOrganization(database.db, { bin: '990340004562' }) }));
    expect((await page(outsider, id)).statusCode).toBe(404);
  });
});

describe('a change shows on the next request, whatever made it', () => {
  it('follows documents, the check worker, moves, reviews, renames and the calendar', async () => {
    const id = await createObject(staff, samplePassport('Система изменений'));
    const partner = await createObject(staff, { ...samplePassport('Система-партнёр'), integrations: [{ type: 'registered_object', object_id: id }] });
    const view = async (session: Browserless = auditors[0]!, objectId = id) => {
      const response = await page(session, objectId);
      expect(response.statusCode).toBe(200);
      return response.body;
    };
    expect(await view()).toContain('data-no-documents');
    expect(await view(auditors[0]!, partner)).toContain('Система изменений');

    // A document: placed (the request), then checked (the worker, in the background).
    const upload = await apiUpload(app, staff, id, 'technical_specification', { pdf: fixtureFile('good/tz.pdfa1.pdf'), docx: fixtureFile('good/tz.docx') });
    expect(upload.statusCode, upload.body).toBe(202);
    const pdfId = (upload.json() as { files: { pdf: { id: string } } }).files.pdf.id;
    expect(await view()).toContain(`data-document-file="${pdfId}"`);
    const verdict = await waitForVerdict(app, staff, pdfId);
    expect(verdict.status).toBe('accepted');
    expect(await view()).toMatch(new RegExp(`data-document-file="${pdfId}" data-status="accepted"`));

    // A lifecycle move through the page: the state, and the duty it opens.
    const token = tokensIn(main((await page(staff, id)).body))[0]!;
    const moved = await app.inject({
      method: 'POST',
      url: `/objects/${id}/moves`,
      headers: { cookie: `${staff.cookie}; lang=ru`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ move: 'complete_development_work', occurredOn: today, _csrf: token }).toString(),
    });
    expect(moved.statusCode, moved.body).toBe(303);
    const afterMove = await view();
    expect(afterMove).toContain('data-state="creation/pilot_operation"');
    expect(afterMove).toContain('data-duty="lifecycle_move"');

    // Review: submitted, commented, returned; resubmitted and approved with a code and an extract.
    const submitted = await call(staff, 'POST', `/api/objects/${id}/submit`);
    expect(submitted.statusCode, submitted.body).toBe(201);
    const firstCase = submitted.json() as { id: string; number: string };
    expect(await view()).toContain(`data-open-case="${firstCase.number}"`);
    const comment = await call(reviewer, 'POST', `/api/review-cases/${firstCase.id}/comments`, { target: 'field:purpose.ru', body: 'Уточните назначение системы' });
    expect(comment.statusCode, comment.body).toBe(201);
    expect((await call(reviewer, 'POST', `/api/review-cases/${firstCase.id}/decision`, { decision: 'return', note: 'Доработайте' })).statusCode).toBe(200);
    const returned = await view(staff);
    expect(returned).toContain('data-review-status="returned"');
    expect(returned).toContain('Уточните назначение системы');
    const resubmitted = await call(staff, 'POST', `/api/objects/${id}/submit`);
    expect(resubmitted.statusCode, resubmitted.body).toBe(201);
    const approved = await call(reviewer, 'POST', `/api/review-cases/${(resubmitted.json() as { id: string }).id}/decision`, { decision: 'approve' });
    expect(approved.statusCode, approved.body).toBe(200);
    const { accountCode, issuedDocument } = approved.json() as { accountCode: string; issuedDocument: { number: string } };
    const afterApproval = await view();
    expect(afterApproval).toContain(`<dd data-account-code>${accountCode}</dd>`);
    expect(afterApproval).toContain(`data-extract="${issuedDocument.number}"`);

    // Plain SQL, as an administrator's fix would be: the owner's name, and the name of whoever
    // recorded the move (on the timeline).
    await database.db.updateTable('organizations').set({ name_ru: 'Министерство переименованное' }).where('id', '=', organization).execute();
    expect(await view()).toContain('Министерство переименованное');
    await database.db.updateTable('users').set({ surname: 'Переименованов' }).where('id', '=', staffUser.id).execute();
    expect(await view()).toContain('Переименованов');

    // A rename of this object shows on the page of the object integrated with it.
    const current = (await call(staff, 'GET', `/api/objects/${id}`)).json() as { version: number };
    const saved = await call(staff, 'PUT', `/api/objects/${id}`, { passport: samplePassport('Система переименованная'), informationChangedOn: today, expectedVersion: current.version });
    expect(saved.statusCode, saved.body).toBe(200);
    const partnerPage = await view(auditors[0]!, partner);
    expect(partnerPage).toContain('Система переименованная');
    expect(partnerPage).not.toContain('Система изменений');

    // The working-day calendar (deadlines are counted on it): every object's stamp moves.
    const stamps = [await stamp(id), await stamp(partner)];
    await database.db.updateTable('calendar_years').set({ updated_at: new Date() }).where('year', '=', Number(today.slice(0, 4))).execute();
    expect([await stamp(id), await stamp(partner)]).not.toContain(stamps[0]);
    expect(await stamp(partner)).not.toBe(stamps[1]);

    // Every table a page is drawn from moves the object's stamp, whatever the statement.
    const rowsOf = {
      objects: database.db.updateTable('objects').set({ updated_at: new Date() }).where('id', '=', id),
      object_versions: database.db.updateTable('object_versions').set({ note: 'исправлено' }).where('object_id', '=', id),
      lifecycle_events: database.db.updateTable('lifecycle_events').set({ recorded_at: new Date() }).where('object_id', '=', id),
      update_duties: database.db.updateTable('update_duties').set({ description: 'исправлено' }).where('object_id', '=', id),
      document_versions: database.db.updateTable('document_versions').set({ title: 'Исправленное ТЗ' }).where('object_id', '=', id),
      document_files: database.db.updateTable('document_files').set({ checked_at: new Date() }).where('id', '=', pdfId),
      review_cases: database.db.updateTable('review_cases').set({ decision_note: 'исправлено' }).where('id', '=', firstCase.id),
      review_comments: database.db.updateTable('review_comments').set({ body: 'Исправленное замечание' }).where('case_id', '=', firstCase.id),
      issued_documents: database.db.updateTable('issued_documents').set({ issued_at: new Date() }).where('object_id', '=', id),
    };
    for (const [table, statement] of Object.entries(rowsOf)) {
      const was = await stamp(id);
      const result = await statement.executeTakeFirst();
      expect(Number(result.numUpdatedRows), table).toBeGreaterThan(0);
      expect(await stamp(id), table).not.toBe(was);
    }
    expect(await view()).toContain('Исправленное ТЗ');
  }, 180_000);

  it('turns a duty overdue at midnight, with nothing changed', async () => {
    const id = await createObject(staff, samplePassport('Система сроков'));
    const reported = await call(reviewer, 'POST', `/api/objects/${id}/reports`, { description: 'Не указаны пользователи', detectedOn: today });
    expect(reported.statusCode, reported.body).toBe(201);
    const reportRow = (html: string) => /<tr data-duty="reviewer_report">[\s\S]*?<\/tr>/.exec(html)?.[0] ?? '';
    const before = reportRow((await page(auditors[0]!, id)).body);
    const dueOn = /data-due-on="(\d{4}-\d{2}-\d{2})"/.exec(before)?.[1];
    expect(dueOn).toBeDefined();
    expect(reportRow((await page(auditors[0]!, id)).body)).toBe(before);
    expect(before).toContain('status-tag--ok');
    expect(before).not.toContain('status-tag--overdue');

    // The day after the due day, Almaty time; the same object, no change to it.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(`${dueOn}T12:00:00+05:00`).getTime() + 24 * 60 * 60 * 1000);
    const later = await signInAs(app, await createUser(database.db, 'auditor', { organizationId: null }));
    const overdue = await page(later, id);
    expect(overdue.statusCode).toBe(200);
    const after = reportRow(overdue.body);
    expect(after).toContain(`data-due-on="${dueOn}"`);
    expect(after).toContain('status-tag--overdue');
  });
});

describe('the stamps migration', () => {
  it('goes down and up again (with the registry migrations after it), giving every existing object its stamp', async () => {
    const own = await createTestDatabase();
    try {
      await ensureKnownCalendarYears(own.db);
      const user = await createUser(own.db, 'staff');
      const actor = toAuthUser(await own.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow());
      const { id } = await createObjectDirectly(own.db, actor, { passport: samplePassport('Система миграции'), informationChangedOn: today });
      // Down to before the stamps, through the registry's later migrations (their own checks are below).
      const later = ['2026-12-03T1500_review_signatures', '2026-12-03T1300_ecp_sign_in', '2026-12-03T1200_audit_workbench', '2026-12-03T1000_extracts_rendered_after_commit', '2026-12-02T1100_objects_kind_updated_idx', '2026-12-02T1000_search_columns_inline', '2026-12-02T0900_object_page_stamps'];
      const down = await createMigrator(own.db).migrateTo('2026-12-01T1000_reviews');
      expect(down.error).toBeUndefined();
      expect(down.results?.map((r) => [r.migrationName, r.status])).toEqual(later.map((name) => [name, 'Success']));
      const storage = async () =>
        (await own.pool.query<{ name: string; storage: string }>(`SELECT attname AS name, attstorage AS storage FROM pg_attribute WHERE attrelid = 'objects'::regclass AND attname IN ('search_text', 'search_ru', 'search_kk') ORDER BY 1`)).rows;
      const kindIndex = async () => (await own.pool.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'objects_kind_updated_idx'`)).rowCount;
      expect(await storage()).toEqual(['search_kk', 'search_ru', 'search_text'].map((name) => ({ name, storage: 'x' })));
      expect(await kindIndex()).toBe(0);
      const tables = async () => (await own.pool.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_name IN ('object_page_stamps', 'page_reference_stamp') ORDER BY 1`)).rows.map((r) => r.name);
      expect(await tables()).toEqual([]);
      // Without the triggers, objects change as before.
      await own.db.updateTable('objects').set({ updated_at: new Date() }).where('id', '=', id).execute();
      expect(await migrateToLatest(own.db)).toEqual([...later].reverse());
      expect(await tables()).toEqual(['object_page_stamps', 'page_reference_stamp']);
      expect(await storage()).toEqual(['search_kk', 'search_ru', 'search_text'].map((name) => ({ name, storage: 'm' })));
      expect(await kindIndex()).toBe(1);
      const stampOf = async () => (await own.db.selectFrom('object_page_stamps').select('stamp').where('object_id', '=', id).executeTakeFirstOrThrow()).stamp;
      const before = await stampOf();
      await own.db.updateTable('objects').set({ updated_at: new Date() }).where('id', '=', id).execute();
      expect(Number(await stampOf())).toBe(Number(before) + 1);
    } finally {
      await own.destroy();
    }
  });
});
