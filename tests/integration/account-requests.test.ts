import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { parseAccountRequest, type PersonFormValues } from '../../src/modules/accounts/account-requests.schemas.ts';
import { decideAccountRequestPerson, submitAccountRequest } from '../../src/modules/accounts/account-requests.service.ts';
import { toAuthUser } from '../../src/access/permissions.ts';
import { ensureKnownCalendarYears, loadCalendarData } from '../../src/modules/calendar/calendar.service.ts';
import { deadlineStatus, dueAt, endOfAlmatyDay } from '../../src/modules/calendar/working-days.ts';
import { checkDigit } from '../../src/modules/organizations/bin-iin.ts';
import { formatDateTime } from '../../src/web/i18n.ts';
import { buildTestApp } from '../support/app.ts';
import { type Browserless, createOrganization, createUser, csrfFrom, mergeCookies, signInAs, type TestUser } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let server: FastifyInstance;
let baseUrl: string;
let reviewer: TestUser;
let reviewerSession: Browserless;

beforeAll(async () => {
  database = await createTestDatabase();
  // The server fills in the known calendar years at start-up; the test app does not start a server.
  await ensureKnownCalendarYears(database.db);
  server = await buildTestApp(database);
  baseUrl = server.deps.config.baseUrl;
  reviewer = await createUser(database.db, 'reviewer');
  reviewerSession = await signInAs(server, reviewer);
});
afterAll(async () => {
  await server?.close();
  await database?.destroy();
});

// ---------------------------------------------------------------------------------------------
// Helpers

function withCheckDigit(first11: string): string {
  const digit = checkDigit(first11);
  if (digit === null) throw new Error(`no check digit for ${first11}`);
  return `${first11}${digit}`;
}

let serial = 100;
/** A valid IIN (born 1985-03-15, male) with a serial of its own. */
function newIin(): string {
  for (;;) {
    const candidate = `8503153${String(serial++).padStart(4, '0')}`;
    if (checkDigit(candidate) !== null) return withCheckDigit(candidate);
  }
}

let binSerial = 50_000;
function newBin(): string {
  for (;;) {
    const candidate = `990340${String(binSerial++).padStart(5, '0')}`;
    if (checkDigit(candidate) !== null) return withCheckDigit(candidate);
  }
}

let mailbox = 0;
const newEmail = (name: string) => `${name}.${++mailbox}@gov.example.kz`;

// Each public POST comes from an address of its own: the form is rate-limited per address.
let address = 0;
const nextAddress = () => `10.1.${Math.floor(address / 250)}.${(address++ % 250) + 1}`;

function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

function person(overrides: Partial<PersonFormValues> = {}): PersonFormValues {
  return {
    division: 'Департамент цифровизации',
    surname: 'Абаев',
    given_name: 'Ерлан',
    patronymic: 'Маратович',
    position: 'Главный эксперт',
    iin: newIin(),
    phone: '8 701 123 45 67',
    email: newEmail('abayev'),
    purpose: 'Учет объектов информатизации министерства',
    ...overrides,
  };
}

interface FormInput {
  organization_name: string;
  organization_bin: string;
  organization_kind: string;
  contact_name: string;
  contact_email: string;
  contact_phone: string;
  people: PersonFormValues[];
}

function formInput(overrides: Partial<FormInput> = {}): FormInput {
  return {
    organization_name: 'Министерство цифрового развития, инноваций и аэрокосмической промышленности',
    organization_bin: newBin(),
    organization_kind: 'central_state_body',
    contact_name: 'Сериков Данияр Нурланович',
    contact_email: newEmail('contact'),
    contact_phone: '+7 (7172) 74-00-00',
    people: [person(), person({ surname: 'Жумабекова', given_name: 'Айгерим', patronymic: '', phone: '+7 (777) 555-66-77', email: newEmail('zhumabekova') })],
    ...overrides,
  };
}

/** The form's fields as the browser posts them. */
function fields(input: FormInput, extra: Record<string, string> = {}): Record<string, string> {
  const flat: Record<string, string> = { ...input, ...extra } as unknown as Record<string, string>;
  delete (flat as Record<string, unknown>).people;
  input.people.forEach((row, index) => {
    for (const [name, value] of Object.entries(row)) flat[`people[${index}][${name}]`] = value;
  });
  return flat;
}

interface Visitor {
  cookie: string;
  csrf: string;
}

async function openForm(language = 'ru'): Promise<Visitor & { body: string }> {
  const page = await server.inject({ url: '/account-requests/new', headers: { cookie: `lang=${language}` } });
  expect(page.statusCode).toBe(200);
  return { cookie: mergeCookies(`lang=${language}`, page.headers['set-cookie']), csrf: csrfFrom(page.body), body: page.body };
}

async function postForm(visitor: Visitor, body: Record<string, string>, remoteAddress = nextAddress()) {
  const response = await server.inject({
    method: 'POST',
    url: '/account-requests',
    remoteAddress,
    headers: { cookie: visitor.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ ...body, _csrf: visitor.csrf }).toString(),
  });
  return { response, cookie: mergeCookies(visitor.cookie, response.headers['set-cookie']) };
}

/** Submits through the page and returns the request number. */
async function submitThroughPage(input: FormInput, language = 'ru'): Promise<{ number: string; cookie: string }> {
  const visitor = await openForm(language);
  const { response, cookie } = await postForm(visitor, fields(input));
  expect(response.statusCode, response.body.slice(0, 2000)).toBe(303);
  const number = /\/account-requests\/submitted\/(AR-\d{4}-\d{6})$/.exec(String(response.headers.location))?.[1];
  expect(number).toBeDefined();
  return { number: number!, cookie };
}

/** Submits through the service with a chosen moment of receipt. */
async function submitAt(now: Date, input: FormInput = formInput()) {
  const parsed = parseAccountRequest(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return submitAccountRequest(database.db, parsed.input, { language: 'ru', now });
}

function valueOf(html: string, name: string): string | undefined {
  const pattern = new RegExp(`name="${name.replace(/[[\]]/g, '\\$&')}"[^>]*?(?:value="([^"]*)"|>([^<]*)</textarea>)`);
  const match = pattern.exec(html);
  return match ? (match[1] ?? match[2]) : undefined;
}

function reviewerGet(url: string) {
  return server.inject({ url, headers: { cookie: `${reviewerSession.cookie}; lang=ru` } });
}

function decide(requestId: string, personId: string, body: Record<string, string>, session: Browserless = reviewerSession) {
  return server.inject({
    method: 'POST',
    url: `/review/account-requests/${requestId}/people/${personId}/decision`,
    headers: { cookie: `${session.cookie}; lang=ru`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ ...body, _csrf: session.csrf }).toString(),
  });
}

async function requestByNumber(number: string) {
  return database.db.selectFrom('account_requests').selectAll().where('number', '=', number).executeTakeFirstOrThrow();
}

async function peopleOf(requestId: string) {
  return database.db.selectFrom('account_request_people').selectAll().where('request_id', '=', requestId).orderBy('position_no').execute();
}

// ---------------------------------------------------------------------------------------------

describe('submitting an account request', () => {
  it('shows the form in the visitor language with a fieldset per person', async () => {
    const kk = await openForm('kk');
    expect(kk.body).toContain('Архитектуралық порталдың есептік жазбаларына өтінім');
    expect(kk.body).toContain('name="people[0][surname]"');
    expect(kk.body).toMatch(/<fieldset[^>]*id="person-1"[\s\S]*?<legend>/);
    const ru = await openForm('ru');
    expect(ru.body).toContain('Полное наименование организации');
  });

  it('records a request with two people: number, rows, audit event, and mail to each person and the contact', async () => {
    const input = formInput({ contact_email: newEmail('Contact.Person').toUpperCase() });
    const before = Date.now();
    const { number, cookie } = await submitThroughPage(input);
    expect(number).toMatch(/^AR-2026-\d{6}$/);

    const confirmation = await server.inject({ url: `/account-requests/submitted/${number}`, headers: { cookie } });
    expect(confirmation.statusCode).toBe(200);
    expect(confirmation.body).toContain(number);
    expect(confirmation.body).toContain('Абаев Ерлан Маратович');
    expect(confirmation.body).toContain(escapeHtml(input.contact_email.toLowerCase()));
    // Numbers are sequential: nobody else sees who is in the request.
    const stranger = await openForm();
    expect((await server.inject({ url: `/account-requests/submitted/${number}`, headers: { cookie: stranger.cookie } })).statusCode).toBe(404);

    const request = await requestByNumber(number);
    expect(request).toMatchObject({
      organization_bin: input.organization_bin,
      organization_kind: 'central_state_body',
      organization_id: null,
      contact_email: input.contact_email.toLowerCase(),
      contact_phone: '+77172740000',
      language: 'ru',
      status: 'open',
      closed_at: null,
    });
    expect(request.received_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(request.due_at).toEqual(dueAt(request.received_at, 2, await loadCalendarData(database.db)));

    const people = await peopleOf(request.id);
    expect(people.map((p) => [p.position_no, p.surname, p.iin, p.phone, p.email, p.patronymic, p.decision])).toEqual([
      [1, 'Абаев', input.people[0]!.iin, '+77011234567', input.people[0]!.email, 'Маратович', 'pending'],
      [2, 'Жумабекова', input.people[1]!.iin, '+77775556677', input.people[1]!.email, null, 'pending'],
    ]);

    const audit = await database.db.selectFrom('audit_events').selectAll().where('entity_type', '=', 'account_request').where('entity_id', '=', request.id).execute();
    expect(audit.map((e) => [e.action, e.actor_label])).toEqual([['account_request.submitted', 'anonymous']]);
    expect(JSON.stringify(audit[0]!.after)).not.toContain(input.people[0]!.iin);

    const mails = await database.db.selectFrom('mail_outbox').selectAll().where('entity_id', '=', request.id).orderBy('recipient').execute();
    expect(mails.map((m) => m.recipient).sort()).toEqual([input.contact_email.toLowerCase(), input.people[0]!.email, input.people[1]!.email].sort());
    for (const mail of mails) {
      expect(mail.template).toBe('account_request_received');
      expect(mail.entity_type).toBe('account_request');
      expect(mail.subject).toContain(number);
    }
  });

  it('sends one confirmation when the contact is also one of the people', async () => {
    const input = formInput();
    input.contact_email = input.people[0]!.email;
    const { number } = await submitThroughPage(input);
    const request = await requestByNumber(number);
    const mails = await database.db.selectFrom('mail_outbox').select('recipient').where('entity_id', '=', request.id).execute();
    expect(mails).toHaveLength(2);
  });

  it('refuses invalid BIN, IIN, phone and e-mail with field messages (422), keeping every typed value', async () => {
    const visitor = await openForm('ru');
    const input = formInput({
      organization_name: 'ТОО "Ромашка" <Астана> & Co',
      organization_bin: '990340001231',
      contact_phone: '+7 916 123 45 67',
      people: [
        person({ iin: '850315300000', email: 'not-an-email', purpose: 'Многострочная\nцель' }),
        person({ surname: '', phone: '+44 20 7946 0958', email: newEmail('ok') }),
      ],
    });
    const { response } = await postForm(visitor, fields(input));
    expect(response.statusCode).toBe(422);
    const html = response.body;
    expect(html).toContain('class="error-summary"');
    for (const message of [
      'Такого БИН не существует',
      'Такого ИИН не существует',
      'Укажите номер телефона в Казахстане',
      'Укажите адрес электронной почты',
      'Заполните это поле',
    ]) {
      expect(html).toContain(message);
    }
    expect(html).toContain('href="#field-people[1][surname]">Сотрудник 2, Фамилия: Заполните это поле</a>');
    expect(html).toContain('href="#field-contact_phone">Ваши контактные данные, Телефон: Укажите номер телефона в Казахстане');
    expect(html).toMatch(/id="field-people\[0\]\[iin\]"[^>]*aria-invalid="true"/);

    const flat = fields(input);
    for (const [name, value] of Object.entries(flat)) {
      if (name === 'organization_kind') {
        expect(html).toContain(`<option value="${value}" selected>`);
        continue;
      }
      expect(valueOf(html, name), name).toBe(escapeHtml(value));
    }
    const count = await database.db.selectFrom('account_requests').select((eb) => eb.fn.countAll<string>().as('n')).where('organization_bin', '=', '990340001231').executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('answers in Kazakh for a Kazakh visitor', async () => {
    const visitor = await openForm('kk');
    const { response } = await postForm(visitor, fields(formInput({ organization_bin: '12345' })));
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('БСН 12 цифрдан тұруы керек');
  });

  it('refuses an e-mail of an active account or of a pending request, but not of a deactivated account', async () => {
    const active = await createUser(database.db, 'staff', { email: newEmail('active') });
    const deactivated = await createUser(database.db, 'staff', { email: newEmail('gone') });
    await database.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', deactivated.id).execute();
    const pending = formInput();
    await submitThroughPage(pending);

    const visitor = await openForm('ru');
    const input = formInput({
      people: [person({ email: active.email.toUpperCase() }), person({ email: ` ${pending.people[1]!.email} ` }), person({ email: deactivated.email })],
    });
    const { response } = await postForm(visitor, fields(input));
    expect(response.statusCode).toBe(422);
    expect(response.body.match(/На этот адрес уже есть учетная запись портала или он указан в заявке/g)).toHaveLength(2 + 2);
    expect(response.body).toContain('href="#field-people[0][email]"');
    expect(response.body).toContain('href="#field-people[1][email]"');
    expect(response.body).not.toContain('href="#field-people[2][email]"');
    expect(valueOf(response.body, 'people[0][email]')).toBe(active.email.toUpperCase());
  });

  it('maps the unique index on pending e-mails to the same field error when two requests race', async () => {
    const email = newEmail('racer');
    const results = await Promise.allSettled([
      submitAt(new Date(), formInput({ people: [person({ email })] })),
      submitAt(new Date(), formInput({ people: [person({ email })] })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failure.reason).toBeInstanceOf(AppError);
    expect(failure.reason).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [{ field: 'people[0][email]', rule: 'email_taken' }] } });
  });

  it('adds and removes person rows without losing anything typed, and without saving', async () => {
    const visitor = await openForm('ru');
    const first = person({ surname: 'Первый', email: 'typed-but-not-valid' });
    const second = person({ surname: 'Второй', iin: '123' });
    const input = formInput({ organization_bin: 'not yet', people: [first, second] });
    const added = await postForm(visitor, fields(input, { add_person: '1' }));
    expect(added.response.statusCode).toBe(200);
    expect(added.response.body).not.toContain('class="error-summary"');
    expect(valueOf(added.response.body, 'people[2][surname]')).toBe('');
    expect(added.response.body).toContain('id="person-3"');
    for (const [name, value] of Object.entries(fields(input))) {
      if (name !== 'organization_kind') expect(valueOf(added.response.body, name), name).toBe(escapeHtml(value));
    }

    const removed = await postForm(visitor, fields({ ...input, people: [first, second, person({ surname: 'Третий' })] }, { remove_person: '0' }));
    expect(removed.response.statusCode).toBe(200);
    const html = removed.response.body;
    expect(valueOf(html, 'people[0][surname]')).toBe('Второй');
    expect(valueOf(html, 'people[0][iin]')).toBe('123');
    expect(valueOf(html, 'people[1][surname]')).toBe('Третий');
    expect(valueOf(html, 'people[2][surname]')).toBeUndefined();
    expect(valueOf(html, 'organization_bin')).toBe('not yet');
    expect(await database.db.selectFrom('account_requests').select('id').where('organization_bin', '=', 'not yet').execute()).toEqual([]);
  });

  it('rate-limits the public form per address', async () => {
    const visitor = await openForm('ru');
    const statuses: number[] = [];
    for (let i = 0; i < 21; i += 1) statuses.push((await postForm(visitor, { add_person: '1' }, '10.250.0.1')).response.statusCode);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});

describe('the reviewers queue', () => {
  it('sets the due date 2 working days after receipt on the Kazakh calendar', async () => {
    // Monday 14 December 2026, 10:00 in Astana: 15 December counts, 16 December is Independence Day.
    const beforeHoliday = await submitAt(new Date('2026-12-14T05:00:00Z'));
    expect(beforeHoliday.dueAt).toEqual(endOfAlmatyDay('2026-12-17'));
    // Friday 20 March 2026: Nauryz 21–23 March (Saturday to Monday) gives 24 and 25 March off too.
    const beforeNauryz = await submitAt(new Date('2026-03-20T06:00:00Z'));
    expect(beforeNauryz.dueAt).toEqual(endOfAlmatyDay('2026-03-27'));

    const page = await reviewerGet('/review/account-requests?status=all');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(beforeHoliday.number);
    expect(page.body).toContain(escapeHtml(formatDateTime('ru', endOfAlmatyDay('2026-12-17'))));
    const left = deadlineStatus(new Date(), beforeHoliday.dueAt, await loadCalendarData(database.db)).workingDaysLeft;
    expect(rowOf(page.body, beforeHoliday.number)).toContain(`Осталось рабочих дней: ${left}`);
    expect(rowOf(page.body, beforeNauryz.number)).toMatch(/Срок нарушен, рабочих дней после срока: \d+/);
  });

  it('filters by status and overdue, and sorts by due or received date', async () => {
    const march = await submitAt(new Date('2026-03-20T06:00:00Z'));
    const december = await submitAt(new Date('2026-12-14T05:00:00Z'));
    const today = await submitAt(new Date());

    const order = (html: string) => [march, today, december].map((r) => html.indexOf(r.number)).map((i) => (i === -1 ? Infinity : i));
    const byDue = order((await reviewerGet('/review/account-requests?status=all&sort=due_asc')).body);
    expect(byDue[0]! < byDue[1]! && byDue[1]! < byDue[2]!).toBe(true);
    const byReceived = order((await reviewerGet('/review/account-requests?status=all&sort=received_desc')).body);
    expect(byReceived[2]! < byReceived[1]! && byReceived[1]! < byReceived[0]!).toBe(true);

    const overdue = (await reviewerGet('/review/account-requests?status=open&overdue=1')).body;
    expect(overdue).toContain(march.number);
    expect(overdue).not.toContain(today.number);
    expect(overdue).not.toContain(december.number);
    expect(overdue).toMatch(/<input type="checkbox" id="field-overdue" name="overdue" value="1" checked>/);

    const closed = (await reviewerGet('/review/account-requests?status=closed')).body;
    expect(closed).not.toContain(today.number);
  });

  it('is closed to staff, auditors and anonymous visitors', async () => {
    const staff = await signInAs(server, await createUser(database.db, 'staff'));
    const auditor = await signInAs(server, await createUser(database.db, 'auditor'));
    const request = await submitAt(new Date());
    for (const session of [staff, auditor]) {
      expect((await server.inject({ url: '/review/account-requests', headers: { cookie: session.cookie } })).statusCode).toBe(403);
      expect((await server.inject({ url: `/review/account-requests/${request.id}`, headers: { cookie: session.cookie } })).statusCode).toBe(403);
    }
    const [personRow] = await peopleOf(request.id);
    expect((await decide(request.id, personRow!.id, { decision: 'approve' }, staff)).statusCode).toBe(403);
    const anonymous = await server.inject({ url: '/review/account-requests' });
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe(`/sign-in?return=${encodeURIComponent('/review/account-requests')}`);
    expect((await peopleOf(request.id))[0]!.decision).toBe('pending');
  });
});

function rowOf(html: string, number: string): string {
  const start = html.lastIndexOf('<tr>', html.indexOf(number));
  return html.slice(start, html.indexOf('</tr>', start));
}

describe('deciding on people', () => {
  it('approves: registers the organization once, creates a staff account waiting for activation, mails the activation link', async () => {
    const bin = newBin();
    const { number } = await submitThroughPage(formInput({ organization_bin: bin }));
    const request = await requestByNumber(number);
    const [first, second] = await peopleOf(request.id);

    const detail = await reviewerGet(`/review/account-requests/${request.id}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain(first!.email);
    expect(detail.body).toContain('Еще не зарегистрирована');

    const approved = await decide(request.id, first!.id, { decision: 'approve' });
    expect(approved.statusCode).toBe(303);
    expect(approved.headers.location).toBe(`/review/account-requests/${request.id}#person-${first!.id}`);

    const organizations = await database.db.selectFrom('organizations').selectAll().where('bin', '=', bin).execute();
    expect(organizations).toHaveLength(1);
    expect(organizations[0]).toMatchObject({ kind: 'central_state_body', name_ru: request.organization_name });
    const user = await database.db.selectFrom('users').selectAll().where('email', '=', first!.email).executeTakeFirstOrThrow();
    expect(user).toMatchObject({
      role: 'staff',
      status: 'pending_activation',
      organization_id: organizations[0]!.id,
      iin: first!.iin,
      surname: first!.surname,
      phone: '+77011234567',
      password_hash: null,
      preferred_language: 'ru',
    });
    const decided = (await peopleOf(request.id))[0]!;
    expect(decided).toMatchObject({ decision: 'approved', decided_by: reviewer.id, user_id: user.id });
    expect((await requestByNumber(number)).organization_id).toBe(organizations[0]!.id);

    const tokens = await database.db.selectFrom('auth_tokens').selectAll().where('user_id', '=', user.id).execute();
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ purpose: 'activation', used_at: null });
    expect(tokens[0]!.expires_at.getTime()).toBeGreaterThan(Date.now());

    const mail = await database.db.selectFrom('mail_outbox').selectAll().where('recipient', '=', first!.email).where('template', '=', 'account_request_approved').executeTakeFirstOrThrow();
    const link = new RegExp(`${baseUrl.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/activate/([A-Za-z0-9_-]+)`).exec(mail.body_text);
    expect(link).not.toBeNull();
    expect((await server.inject({ url: `/activate/${link![1]}` })).statusCode).toBe(200);

    const actions = await database.db.selectFrom('audit_events').select(['action', 'actor_user_id']).where('actor_user_id', '=', reviewer.id).where('action', 'in', ['organization.created', 'user.created', 'account_request.person_approved']).execute();
    expect(actions.map((a) => a.action).sort()).toEqual(['account_request.person_approved', 'organization.created', 'user.created']);

    const after = await reviewerGet(`/review/account-requests/${request.id}`);
    expect(after.body).toContain('Одобрено: учетная запись создана');
    expect(after.body).toContain('Уже зарегистрирована');
    expect((await requestByNumber(number)).status).toBe('open');
    expect(second!.decision).toBe('pending');

    // Another request of the same organization: the organization is reused, not registered twice.
    const again = await submitAt(new Date(), formInput({ organization_bin: bin, people: [person()] }));
    const [other] = await peopleOf(again.id);
    expect((await decide(again.id, other!.id, { decision: 'approve' })).statusCode).toBe(303);
    expect(await database.db.selectFrom('organizations').select('id').where('bin', '=', bin).execute()).toHaveLength(1);
    const otherUser = await database.db.selectFrom('users').select('organization_id').where('email', '=', other!.email).executeTakeFirstOrThrow();
    expect(otherUser.organization_id).toBe(organizations[0]!.id);
  });

  it('reuses an organization already registered with the BIN', async () => {
    const bin = newBin();
    const organizationId = await createOrganization(database.db, { bin });
    const request = await submitAt(new Date(), formInput({ organization_bin: bin, people: [person()] }));
    const [only] = await peopleOf(request.id);
    expect((await decide(request.id, only!.id, { decision: 'approve' })).statusCode).toBe(303);
    const user = await database.db.selectFrom('users').select('organization_id').where('email', '=', only!.email).executeTakeFirstOrThrow();
    expect(user.organization_id).toBe(organizationId);
  });

  it('rejects only with a reason, e-mails it, and closes the request when everyone is decided, deadline met', async () => {
    const request = await submitAt(new Date());
    const [first, second] = await peopleOf(request.id);
    expect((await decide(request.id, first!.id, { decision: 'approve' })).statusCode).toBe(303);

    const noReason = await decide(request.id, second!.id, { decision: 'reject', reason: '   ' });
    expect(noReason.statusCode).toBe(422);
    expect(noReason.body).toContain('Заполните это поле');
    expect(noReason.body).toContain(`href="#field-reason-${second!.id}">Причина отказа (Жумабекова Айгерим): Заполните это поле</a>`);
    expect((await peopleOf(request.id))[1]!.decision).toBe('pending');

    const reason = 'Сотрудник не относится к организации <проверено>';
    const rejected = await decide(request.id, second!.id, { decision: 'reject', reason });
    expect(rejected.statusCode).toBe(303);
    const row = (await peopleOf(request.id))[1]!;
    expect(row).toMatchObject({ decision: 'rejected', rejection_reason: reason, decided_by: reviewer.id, user_id: null });
    const mail = await database.db.selectFrom('mail_outbox').selectAll().where('recipient', '=', second!.email).where('template', '=', 'account_request_rejected').executeTakeFirstOrThrow();
    expect(mail.body_text).toContain(reason);
    expect(await database.db.selectFrom('users').select('id').where('email', '=', second!.email).execute()).toEqual([]);

    const closed = await database.db.selectFrom('account_requests').selectAll().where('id', '=', request.id).executeTakeFirstOrThrow();
    expect(closed.status).toBe('closed');
    expect(closed.closed_at).not.toBeNull();
    const events = await database.db.selectFrom('audit_events').selectAll().where('entity_type', '=', 'account_request').where('entity_id', '=', request.id).orderBy('id').execute();
    expect(events.map((e) => e.action)).toEqual([
      'account_request.submitted',
      'account_request.person_approved',
      'account_request.person_rejected',
      'account_request.closed',
    ]);
    expect(events[3]!.after).toMatchObject({ deadlineMet: true, approved: 1, rejected: 1 });

    const page = await reviewerGet(`/review/account-requests/${request.id}`);
    expect(page.body).toContain('Решение сохранено. По всем сотрудникам приняты решения, заявка закрыта.');
    expect(page.body).toMatch(/data-deadline>\s*<span class="status-tag status-tag--ok">Срок соблюден<\/span>/);
    expect(page.body).toContain(escapeHtml(reason));
    expect(page.body).not.toContain('name="decision"');
  });

  it('shows a missed deadline on a request closed after its due date', async () => {
    const request = await submitAt(new Date('2026-03-20T06:00:00Z'), formInput({ people: [person()] }));
    const [only] = await peopleOf(request.id);
    expect((await decide(request.id, only!.id, { decision: 'reject', reason: 'Нет полномочий' })).statusCode).toBe(303);
    const page = await reviewerGet(`/review/account-requests/${request.id}`);
    expect(page.body).toMatch(/data-deadline>\s*<span class="status-tag status-tag--overdue">Срок нарушен<\/span>/);
    const closed = await reviewerGet('/review/account-requests?status=closed&overdue=1');
    expect(rowOf(closed.body, request.number)).toContain('Срок нарушен');
  });

  it('answers a second decision on the same person with a conflict', async () => {
    const request = await submitAt(new Date(), formInput({ people: [person(), person()] }));
    const [first] = await peopleOf(request.id);
    expect((await decide(request.id, first!.id, { decision: 'approve' })).statusCode).toBe(303);
    const twice = await decide(request.id, first!.id, { decision: 'reject', reason: 'Передумали' });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('По этому сотруднику решение уже принято');
    expect((await peopleOf(request.id))[0]!.decision).toBe('approved');

    const actor = toAuthUser(await database.db.selectFrom('users').selectAll().where('id', '=', reviewer.id).executeTakeFirstOrThrow());
    await expect(decideAccountRequestPerson(database.db, actor, { personId: first!.id, decision: 'approve' }, { baseUrl })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'already_decided' },
    });
    // Two reviewers at once: exactly one decision wins.
    const [, second] = await peopleOf(request.id);
    const race = await Promise.allSettled([
      decideAccountRequestPerson(database.db, actor, { personId: second!.id, decision: 'approve' }, { baseUrl }),
      decideAccountRequestPerson(database.db, actor, { personId: second!.id, decision: 'reject', reason: 'x' }, { baseUrl }),
    ]);
    expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((race.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
  });

  it('refuses to approve an e-mail that got an account meanwhile, and reinstates a deactivated one', async () => {
    const request = await submitAt(new Date(), formInput({ people: [person(), person()] }));
    const [taken, returning] = await peopleOf(request.id);
    await createUser(database.db, 'staff', { email: taken!.email });
    const conflict = await decide(request.id, taken!.id, { decision: 'approve' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.body).toContain('На этот адрес уже есть учетная запись портала');
    expect((await peopleOf(request.id))[0]!.decision).toBe('pending');

    const old = await createUser(database.db, 'auditor', { email: returning!.email });
    await database.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', old.id).execute();
    expect((await decide(request.id, returning!.id, { decision: 'approve' })).statusCode).toBe(303);
    const user = await database.db.selectFrom('users').selectAll().where('id', '=', old.id).executeTakeFirstOrThrow();
    expect(user).toMatchObject({ role: 'staff', status: 'pending_activation', password_hash: null, totp_secret: null, iin: returning!.iin });
    expect((await peopleOf(request.id))[1]!.user_id).toBe(old.id);
  });

  it('answers unknown or mismatched ids with 404', async () => {
    const request = await submitAt(new Date(), formInput({ people: [person()] }));
    const other = await submitAt(new Date(), formInput({ people: [person()] }));
    const [otherPerson] = await peopleOf(other.id);
    expect((await decide(request.id, otherPerson!.id, { decision: 'approve' })).statusCode).toBe(404);
    expect((await reviewerGet('/review/account-requests/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await reviewerGet('/review/account-requests/not-a-uuid')).statusCode).toBe(404);
  });
});
