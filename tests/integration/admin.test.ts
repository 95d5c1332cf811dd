import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formFromYearData, parseCalendarYearForm } from '../../src/modules/calendar/calendar-form.ts';
import { ensureKnownCalendarYears, loadCalendarData } from '../../src/modules/calendar/calendar.service.ts';
import { buildKazakhstanCalendarData } from '../../src/modules/calendar/kz-calendar-data.ts';
import { isWorkingDay } from '../../src/modules/calendar/working-days.ts';
import { makeValidBin } from '../../src/modules/organizations/bin-iin.ts';
import { buildTestApp, fromFreshAddresses } from '../support/app.ts';
import { type Browserless, createOrganization, createUser, csrfFrom, mergeCookies, signInAs, TEST_PASSWORD, type TestUser } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let server: FastifyInstance;
let portal: Pick<FastifyInstance, 'inject'>;
let admin: TestUser;
let adminSession: Browserless;


beforeAll(async () => {
  database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
  server = await buildTestApp(database, { VERAPDF_BIN: '/nonexistent/verapdf' });
  portal = fromFreshAddresses(server);
  admin = await createUser(database.db, 'admin');
  adminSession = await signInAs(portal, admin);
});
afterAll(async () => {
  await server?.close();
  await database?.destroy();
});

function get(url: string, session: Browserless = adminSession, language = 'en') {
  return portal.inject({ url, headers: { cookie: `${session.cookie}; lang=${language}` } });
}

function post(url: string, payload: Record<string, string>, session: Browserless = adminSession, language = 'en') {
  return portal.inject({ method: 'POST', url, headers: { cookie: `${session.cookie}; lang=${language}` }, payload: { ...payload, _csrf: session.csrf } });
}

async function auditEvents(entityId: string, action: string) {
  return database.db.selectFrom('audit_events').select(['action', 'before', 'after', 'actor_user_id']).where('entity_id', '=', entityId).where('action', '=', action).orderBy('id').execute();
}

async function userRow(id: string) {
  return database.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

let binSerial = 10_000;
function newBin(): string {
  for (;;) {
    binSerial += 1;
    const bin = makeValidBin(`990340${binSerial}`);
    if (bin) return bin;
  }
}

describe('access', () => {
  it('keeps every administration page to the roles with the permission, on the server', async () => {
    const staff = await signInAs(portal, await createUser(database.db, 'staff'));
    const reviewer = await signInAs(portal, await createUser(database.db, 'reviewer'));
    const auditor = await signInAs(portal, await createUser(database.db, 'auditor'));
    for (const session of [staff, reviewer, auditor]) {
      for (const url of ['/admin', '/admin/users', `/admin/users/${admin.id}`, '/admin/calendar', '/admin/calendar/2026', '/admin/organizations/new']) {
        expect((await get(url, session)).statusCode, url).toBe(403);
      }
      expect((await post(`/admin/users/${admin.id}/deactivate`, {}, session)).statusCode).toBe(403);
      expect((await post('/admin/calendar', { year: '2030' }, session)).statusCode).toBe(403);
    }
    expect((await userRow(admin.id)).status).toBe('active');
    // Reading the organizations is wider than managing them.
    const list = await get('/admin/organizations', reviewer);
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain('/admin/organizations/new');
    expect((await get('/admin/organizations', staff)).statusCode).toBe(403);
    const anonymous = await portal.inject({ url: '/admin/users' });
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/sign-in?return=%2Fadmin%2Fusers');
  });
});

describe('overview', () => {
  it('links the administration pages and says plainly that documents wait while veraPDF is missing', async () => {
    const response = await get('/admin');
    expect(response.statusCode).toBe(200);
    for (const link of ['/admin/users', '/admin/organizations', '/admin/calendar']) expect(response.body).toContain(`href="${link}"`);
    expect(response.body).toContain('Documents are not being checked');
    expect(response.body).toContain('wait in the status “not checked” until veraPDF runs again');
    expect(response.body).toContain('veraPDF cannot be started (ENOENT): /nonexistent/verapdf');
    const russian = await get('/admin', adminSession, 'ru');
    expect(russian.body).toContain('остаются в статусе «не проверен»');
  });
});

describe('users', () => {
  it('lists users by role, organization, status and name or e-mail', async () => {
    const organization = await createOrganization(database.db, { bin: newBin(), name_ru: 'Министерство фильтров' });
    const staff = await createUser(database.db, 'staff', { organizationId: organization, email: 'filter.me@test.example' });
    const other = await createUser(database.db, 'staff');
    const byOrganization = await get(`/admin/users?organization=${organization}`);
    expect(byOrganization.statusCode).toBe(200);
    expect(byOrganization.body).toContain(staff.email);
    expect(byOrganization.body).not.toContain(other.email);
    const bySearch = await get('/admin/users?q=FILTER.ME');
    expect(bySearch.body).toContain(staff.email);
    expect(bySearch.body).not.toContain(other.email);
    const byRole = await get('/admin/users?role=auditor');
    expect(byRole.body).not.toContain(staff.email);
    const byStatus = await get('/admin/users?status=deactivated&role=staff');
    expect(byStatus.body).not.toContain(staff.email);
    // Unknown filter values are ignored, not errors.
    expect((await get('/admin/users?role=emperor&page=x')).statusCode).toBe(200);
    expect((await get('/admin/users/not-an-id')).statusCode).toBe(404);
  });

  it('deactivates a user, ending their sessions at once, and reactivates them; both audited with before and after', async () => {
    const staff = await createUser(database.db, 'staff');
    const staffSession = await signInAs(portal, staff);
    expect((await get('/account', staffSession)).statusCode).toBe(200);

    const deactivated = await post(`/admin/users/${staff.id}/deactivate`, {});
    expect(deactivated.statusCode).toBe(303);
    expect(deactivated.headers.location).toBe(`/admin/users/${staff.id}`);
    const next = await get('/account', staffSession);
    expect(next.statusCode).toBe(303);
    expect(String(next.headers.location)).toMatch(/^\/sign-in/);
    expect(await database.db.selectFrom('sessions').select('sid').where('user_id', '=', staff.id).execute()).toEqual([]);
    const page = await get(`/admin/users/${staff.id}`);
    expect(page.body).toContain('The user was deactivated and signed out everywhere.');
    expect(page.body).toContain('Reactivate');

    const [event] = await auditEvents(staff.id, 'user.deactivated');
    expect(event).toMatchObject({ actor_user_id: admin.id, before: { status: 'active' }, after: { status: 'deactivated' } });
    expect((event!.after as { sessionsEnded: number }).sessionsEnded).toBeGreaterThanOrEqual(1);

    expect((await post(`/admin/users/${staff.id}/reactivate`, {})).statusCode).toBe(303);
    expect((await userRow(staff.id)).status).toBe('active');
    expect((await auditEvents(staff.id, 'user.reactivated'))[0]).toMatchObject({ before: { status: 'deactivated' }, after: { status: 'active' } });
    await signInAs(portal, staff);
  });

  it('does not let an administrator deactivate or demote themselves', async () => {
    const deactivate = await post(`/admin/users/${admin.id}/deactivate`, {});
    expect(deactivate.statusCode).toBe(422);
    expect(deactivate.body).toContain('You cannot deactivate your own account');
    const demote = await post(`/admin/users/${admin.id}/role`, { role: 'auditor', organization_id: '' });
    expect(demote.statusCode).toBe(422);
    expect(demote.body).toContain('You cannot change your own role');
    const row = await userRow(admin.id);
    expect(row).toMatchObject({ status: 'active', role: 'admin' });
    expect(await auditEvents(admin.id, 'user.role_changed')).toEqual([]);
  });

  it('changes a role; staff need an organization, other roles may drop it', async () => {
    const staff = await createUser(database.db, 'staff');
    const staffSession = await signInAs(portal, staff);

    const refused = await post(`/admin/users/${staff.id}/role`, { role: 'staff', organization_id: '' }, adminSession, 'ru');
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('Выберите организацию: сотрудник государственного органа должен к ней относиться');
    expect(refused.body).toContain('id="field-organization_id-error"');
    expect(refused.body).toMatch(/<option value="staff" selected>/);

    const changed = await post(`/admin/users/${staff.id}/role`, { role: 'auditor', organization_id: '' });
    expect(changed.statusCode).toBe(303);
    expect(await userRow(staff.id)).toMatchObject({ role: 'auditor', organization_id: null });
    const [event] = await auditEvents(staff.id, 'user.role_changed');
    expect(event).toMatchObject({ before: { role: 'staff', organizationId: staff.organizationId }, after: { role: 'auditor', organizationId: null } });
    // The new role starts with a new sign-in.
    expect((await get('/account', staffSession)).statusCode).toBe(303);

    const back = await post(`/admin/users/${staff.id}/role`, { role: 'staff', organization_id: staff.organizationId! });
    expect(back.statusCode).toBe(303);
    expect(await userRow(staff.id)).toMatchObject({ role: 'staff', organization_id: staff.organizationId });
  });

  it('resets a second factor, so that a reviewer sets up a new one at the next sign-in', async () => {
    const reviewer = await createUser(database.db, 'reviewer');
    const reviewerSession = await signInAs(portal, reviewer);
    const reset = await post(`/admin/users/${reviewer.id}/second-factor/reset`, {});
    expect(reset.statusCode).toBe(303);
    const row = await userRow(reviewer.id);
    expect(row).toMatchObject({ totp_secret: null, totp_enabled_at: null, totp_last_step: null });
    expect((await auditEvents(reviewer.id, 'user.second_factor_reset'))[0]).toMatchObject({ before: { secondFactor: true }, after: { secondFactor: false } });
    expect((await get('/account', reviewerSession)).statusCode).toBe(303);

    const page = await portal.inject({ url: '/sign-in' });
    let cookie = mergeCookies('lang=en', page.headers['set-cookie']);
    const signIn = await portal.inject({ method: 'POST', url: '/sign-in', headers: { cookie }, payload: { email: reviewer.email, password: TEST_PASSWORD, _csrf: csrfFrom(page.body) } });
    cookie = mergeCookies(cookie, signIn.headers['set-cookie']);
    const enrol = await portal.inject({ url: String(signIn.headers.location), headers: { cookie } });
    expect(enrol.body).toContain('Set up the second factor');
  });
});

describe('organizations', () => {
  it('adds an organization with a checked, unique BIN, keeping what was typed when refused', async () => {
    const bin = newBin();
    const typo = `${bin.slice(0, 11)}${(Number(bin[11]) + 1) % 10}`;
    const values = { bin: typo, kind: 'local_executive_body', name_kk: 'Сынақ әкімдігі', name_ru: 'Акимат испытаний', name_en: '' };
    const refused = await post('/admin/organizations/new', values);
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('The last digit of the BIN does not match the others');
    expect(refused.body).toContain('value="Акимат испытаний"');
    expect(refused.body).toContain(`value="${typo}"`);

    const created = await post('/admin/organizations/new', { ...values, bin: `${bin.slice(0, 4)} ${bin.slice(4)}` });
    expect(created.statusCode).toBe(303);
    const row = await database.db.selectFrom('organizations').selectAll().where('bin', '=', bin).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kind: 'local_executive_body', name_ru: 'Акимат испытаний', name_en: null });
    expect((await auditEvents(row.id, 'organization.created'))[0]).toMatchObject({ before: null, after: { bin, name_ru: 'Акимат испытаний' } });

    const duplicate = await post('/admin/organizations/new', { ...values, bin, name_ru: 'Двойник' }, adminSession, 'kk');
    expect(duplicate.statusCode).toBe(422);
    expect(duplicate.body).toContain('Осындай БСН-і бар ұйым бұрын тіркелген');

    const found = await get(`/admin/organizations?q=${bin.slice(0, 8)}`);
    expect(found.body).toContain('Акимат испытаний');
    expect((await get('/admin/organizations?q=испытаний', adminSession, 'ru')).body).toContain(bin);
  });

  it('edits an organization and audits before and after', async () => {
    const bin = newBin();
    const id = await createOrganization(database.db, { bin, name_ru: 'Старое название', name_kk: 'Ескі атауы' });
    const form = await get(`/admin/organizations/${id}/edit`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="Старое название"');
    const saved = await post(`/admin/organizations/${id}/edit`, { bin, kind: 'central_state_body', name_kk: 'Жаңа атауы', name_ru: 'Новое название', name_en: 'New name' });
    expect(saved.statusCode).toBe(303);
    const [event] = await auditEvents(id, 'organization.updated');
    expect(event).toMatchObject({ before: { name_ru: 'Старое название', name_en: null }, after: { name_ru: 'Новое название', name_en: 'New name' } });
    const missing = await get('/admin/organizations/00000000-0000-4000-8000-000000000000/edit');
    expect(missing.statusCode).toBe(404);
  });
});

describe('working-day calendar', () => {
  it('writes a year as the editor text and reads it back unchanged', () => {
    const years = Object.values(buildKazakhstanCalendarData().years);
    years.push({
      kurbanAit: null,
      transfers: [{ dayOff: '2027-01-04', workday: '2027-01-09', source: '' }],
      addedHolidays: [
        { date: '2027-12-31', name: { kk: 'Жаңа жыл қарсаңы', ru: 'Канун Нового года', en: "New Year's Eve" }, movable: true },
        { date: '2027-04-10', name: { kk: 'Ораза айт', ru: 'Ораза айт', en: 'Eid al-Fitr' }, movable: false },
      ],
      removedHolidays: ['2027-03-15'],
      source: 'test',
      provisional: true,
    });
    for (const data of years) expect(parseCalendarYearForm(formFromYearData(data))).toEqual({ ok: true, data });
  });

  it('lists the years with their days off and weekend workdays', async () => {
    const response = await get('/admin/calendar');
    expect(response.statusCode).toBe(200);
    for (const year of [2024, 2025, 2026, 2027]) expect(response.body).toContain(`href="/admin/calendar/${year}"`);
    expect(response.body).toContain('Provisional');
  });

  it('saves an edited year, which changes the computed working days, and audits before and after', async () => {
    const before = await loadCalendarData(database.db);
    expect(isWorkingDay('2026-11-02', before)).toBe(true);
    expect(isWorkingDay('2026-11-07', before)).toBe(false);

    const page = await get('/admin/calendar/2026');
    expect(page.statusCode).toBe(200);
    const version = /name="version" value="([^"]+)"/.exec(page.body)![1]!;
    const source = /<textarea id="field-source" name="source"[^>]*>([^<]*)<\/textarea>/.exec(page.body)![1]!;
    const form = {
      version,
      kurban_ait: '2026-05-27',
      transfers: '2026-11-02 > 2026-11-07 | order of the labour ministry',
      added_holidays: '',
      removed_holidays: '',
      source: source.replaceAll('&quot;', '"'),
      provisional: 'on',
    };
    const saved = await post('/admin/calendar/2026', form);
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe('/admin/calendar/2026');

    const after = await loadCalendarData(database.db);
    expect(isWorkingDay('2026-11-02', after)).toBe(false);
    expect(isWorkingDay('2026-11-07', after)).toBe(true);
    const shown = await get('/admin/calendar/2026');
    expect(shown.body).toContain('datetime="2026-11-02"');
    expect(shown.body).toContain('datetime="2026-11-07"');
    expect(shown.body).toContain('The year was saved');

    const [event] = await auditEvents('2026', 'calendar_year.updated');
    expect(event!.actor_user_id).toBe(admin.id);
    expect((event!.before as { transfers: unknown[] }).transfers).toEqual([]);
    expect((event!.after as { transfers: unknown[] }).transfers).toEqual([{ dayOff: '2026-11-02', workday: '2026-11-07', source: 'order of the labour ministry' }]);
    const stored = await database.db.selectFrom('calendar_years').select(['updated_by']).where('year', '=', 2026).executeTakeFirstOrThrow();
    expect(stored.updated_by).toBe(admin.id);

    // The form read from an older version is refused, not saved over the newer one.
    const stale = await post('/admin/calendar/2026', { ...form, transfers: '' });
    expect(stale.statusCode).toBe(422);
    expect(stale.body).toContain('Someone else saved this year while you were editing it');
  });

  it('refuses inconsistent data with an error on the field, keeping everything typed', async () => {
    const page = await get('/admin/calendar/2025');
    const version = /name="version" value="([^"]+)"/.exec(page.body)![1]!;
    const typed = {
      version,
      kurban_ait: '2025-06-06',
      transfers: '2025-01-03 > 2025-01-05 | decree\n2025-11-03 > 2025-11-04 | a weekday cannot be worked instead',
      added_holidays: '',
      removed_holidays: '',
      source: 'Sources typed by the administrator',
      provisional: '',
    };
    const refused = await post('/admin/calendar/2025', typed, adminSession, 'ru');
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toMatch(/id="field-transfers-error">2025-11-04 нельзя сделать рабочим переносом/);
    expect(refused.body).toContain('a weekday cannot be worked instead</textarea>');
    expect(refused.body).toContain('Sources typed by the administrator</textarea>');
    expect(refused.body).toContain('href="#field-transfers"');

    const notAHoliday = await post('/admin/calendar/2025', { ...typed, transfers: '2025-01-03 > 2025-01-05 | decree', removed_holidays: '2025-02-14' }, adminSession, 'ru');
    expect(notAHoliday.statusCode).toBe(422);
    expect(notAHoliday.body).toMatch(/id="field-removed_holidays-error">2025-02-14 в этом году не праздник/);

    const unreadable = await post('/admin/calendar/2025', { ...typed, transfers: '3 January > 5 January', removed_holidays: '', source: '' }, adminSession, 'kk');
    expect(unreadable.statusCode).toBe(422);
    expect(unreadable.body).toContain('1-жол: демалыс болатын жұмыс күнін');
    expect(unreadable.body).toContain('id="field-source-error">Осы өрісті толтырыңыз');
    expect(await auditEvents('2025', 'calendar_year.updated')).toEqual([]);
  });

  it('adds a year, refusing one already there', async () => {
    const added = await post('/admin/calendar', { year: '2028' });
    expect(added.statusCode).toBe(303);
    expect(added.headers.location).toBe('/admin/calendar/2028');
    const row = await database.db.selectFrom('calendar_years').select(['data', 'updated_by']).where('year', '=', 2028).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ updated_by: admin.id, data: { provisional: true, kurbanAit: null } });
    expect(await auditEvents('2028', 'calendar_year.created')).toHaveLength(1);
    expect((await get('/admin/calendar/2028')).statusCode).toBe(200);

    const again = await post('/admin/calendar', { year: '2028' });
    expect(again.statusCode).toBe(422);
    expect(again.body).toContain('2028 is already in the calendar');
    const outOfRange = await post('/admin/calendar', { year: '1999' });
    expect(outOfRange.statusCode).toBe(422);
    expect(outOfRange.body).toContain('Enter a year from 2002 to 2100');
    expect(outOfRange.body).toContain('value="1999"');
  });
});
