import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/web/credentials.ts';
import { buildTestApp } from '../support/app.ts';
import { createUser, csrfFrom, mergeCookies, signInAs, TEST_PASSWORD } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let app: FastifyInstance;
beforeAll(async () => {
  database = await createTestDatabase();
  app = await buildTestApp(database);
});
afterAll(async () => {
  await app?.close();
  await database?.destroy();
});

async function signInForm(cookieHeader = '') {
  const page = await app.inject({ url: '/sign-in', headers: { cookie: cookieHeader } });
  return { cookie: mergeCookies(cookieHeader, page.headers['set-cookie']), csrf: csrfFrom(page.body), body: page.body };
}

async function postSignIn(email: string, password: string, language = 'ru') {
  const form = await signInForm(`lang=${language}`);
  const response = await app.inject({ method: 'POST', url: '/sign-in', headers: { cookie: form.cookie }, payload: { email, password, _csrf: form.csrf } });
  return { response, cookie: mergeCookies(form.cookie, response.headers['set-cookie']) };
}

async function auditActions(entityId: string): Promise<string[]> {
  const rows = await database.db.selectFrom('audit_events').select('action').where('entity_id', '=', entityId).orderBy('id').execute();
  return rows.map((r) => r.action);
}

describe('sign-in', () => {
  it('signs in with e-mail and password, rotating the session id, with a secure cookie', async () => {
    const user = await createUser(database.db, 'staff');
    const form = await signInForm();
    const before = form.cookie;
    const response = await app.inject({ method: 'POST', url: '/sign-in', headers: { cookie: form.cookie }, payload: { email: user.email.toUpperCase(), password: TEST_PASSWORD, _csrf: form.csrf, return: '/account' } });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/account');
    const sessionCookie = response.cookies.find((c) => c.name === SESSION_COOKIE)!;
    expect(sessionCookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(before).toContain(SESSION_COOKIE);
    expect(before).not.toContain(sessionCookie.value);
    const account = await app.inject({ url: '/account', headers: { cookie: mergeCookies(form.cookie, response.headers['set-cookie']) } });
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain(user.email);
    expect(await auditActions(user.id)).toContain('sign_in.succeeded');
  });

  it('answers a wrong password and an unknown e-mail alike, in the user language, keeping the e-mail', async () => {
    const user = await createUser(database.db, 'staff');
    const wrong = await postSignIn(user.email, 'not the password at all', 'ru');
    const unknown = await postSignIn('nobody@test.example', 'not the password at all', 'ru');
    for (const { response } of [wrong, unknown]) {
      expect(response.statusCode).toBe(422);
      expect(response.body).toContain('Неверный адрес электронной почты или пароль');
    }
    expect(wrong.response.body).toContain(`value="${user.email}"`);
    expect(wrong.response.body).not.toContain('not the password at all');
    const kk = await postSignIn(user.email, 'wrong again please', 'kk');
    expect(kk.response.body).toContain('Электрондық пошта немесе құпиясөз қате');
    expect(await auditActions(user.id)).toEqual(['sign_in.failed', 'sign_in.failed']);
  });

  it('locks the account after five failures in a row, says until when, and audits it', async () => {
    const user = await createUser(database.db, 'staff');
    for (let i = 0; i < 4; i += 1) expect((await postSignIn(user.email, `wrong-${i}-password`)).response.statusCode).toBe(422);
    const fifth = await postSignIn(user.email, 'wrong-5-password');
    expect(fifth.response.statusCode).toBe(429);
    expect(fifth.response.body).toContain('вход заблокирован до');
    const correct = await postSignIn(user.email, TEST_PASSWORD);
    expect(correct.response.statusCode).toBe(429);
    const actions = await auditActions(user.id);
    expect(actions.filter((a) => a === 'sign_in.failed')).toHaveLength(5);
    expect(actions).toContain('user.locked');
    expect(actions.at(-1)).toBe('sign_in.refused_locked');
  });

  it('refuses a form without a valid CSRF token', async () => {
    const user = await createUser(database.db, 'staff');
    const form = await signInForm();
    const response = await app.inject({ method: 'POST', url: '/sign-in', headers: { cookie: form.cookie }, payload: { email: user.email, password: TEST_PASSWORD, _csrf: 'forged' } });
    expect(response.statusCode).toBe(403);
    const api = await app.inject({ method: 'POST', url: '/sign-in', headers: { cookie: form.cookie, accept: 'application/json' }, payload: { email: user.email, password: TEST_PASSWORD } });
    expect(api.json().error.code).toBe('CSRF_INVALID');
  });

  it('sends anonymous visitors of a signed-in page to sign-in and back', async () => {
    const response = await app.inject({ url: '/account' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/sign-in?return=%2Faccount');
  });

  it('signs out, and signs out everywhere', async () => {
    const user = await createUser(database.db, 'staff');
    const first = await signInAs(app, user);
    const second = await signInAs(app, user);
    const out = await app.inject({ method: 'POST', url: '/sign-out', headers: { cookie: first.cookie }, payload: { _csrf: first.csrf } });
    expect(out.statusCode).toBe(303);
    expect((await app.inject({ url: '/account', headers: { cookie: first.cookie } })).statusCode).toBe(303);
    expect((await app.inject({ url: '/account', headers: { cookie: second.cookie } })).statusCode).toBe(200);
    const third = await signInAs(app, user);
    const everywhere = await app.inject({ method: 'POST', url: '/account/sign-out-everywhere', headers: { cookie: third.cookie }, payload: { _csrf: third.csrf } });
    expect(everywhere.statusCode).toBe(303);
    expect((await app.inject({ url: '/account', headers: { cookie: second.cookie } })).statusCode).toBe(303);
    expect(await auditActions(user.id)).toEqual(expect.arrayContaining(['sign_out', 'sign_out.everywhere']));
  });

  it('takes the user as the database has them at each request, and never stores them with the session', async () => {
    const user = await createUser(database.db, 'staff');
    const session = await signInAs(app, user);
    // Seen two minutes ago: this request records that it was seen again, so the session is saved.
    const [row] = await database.db.selectFrom('sessions').select(['sid', 'data']).where('user_id', '=', user.id).execute();
    const seenAt = Date.now() - 2 * 60 * 1000;
    await database.db.updateTable('sessions').set({ data: JSON.stringify({ ...(row!.data as object), lastSeenAt: seenAt }) }).where('sid', '=', row!.sid).execute();
    // A rename shows on the next request.
    await database.db.updateTable('users').set({ surname: 'Жаңаов' }).where('id', '=', user.id).execute();
    const account = await app.inject({ url: '/account', headers: { cookie: session.cookie } });
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain('Жаңаов');
    const stored = (await database.db.selectFrom('sessions').select('data').where('sid', '=', row!.sid).executeTakeFirstOrThrow()).data as Record<string, unknown>;
    expect(stored.lastSeenAt).toBeGreaterThan(seenAt);
    expect(stored.userId).toBe(user.id);
    expect(Object.keys(stored)).not.toContain('activeUser');
    // Deactivated by hand, with the session row left in place: the next request is anonymous.
    await database.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', user.id).execute();
    const after = await app.inject({ url: '/account', headers: { cookie: session.cookie } });
    expect(after.statusCode).toBe(303);
    expect(String(after.headers.location)).toMatch(/^\/sign-in/);
  });

  it('ends a session idle for more than 30 minutes, and says why', async () => {
    const user = await createUser(database.db, 'staff');
    const session = await signInAs(app, user);
    const rows = await database.db.selectFrom('sessions').select(['sid', 'data']).where('user_id', '=', user.id).execute();
    for (const row of rows) {
      const data = { ...(row.data as Record<string, unknown>), lastSeenAt: Date.now() - 31 * 60 * 1000 };
      await database.db.updateTable('sessions').set({ data: JSON.stringify(data) }).where('sid', '=', row.sid).execute();
    }
    const response = await app.inject({ url: '/account', headers: { cookie: session.cookie } });
    expect(response.statusCode).toBe(303);
    const signIn = await app.inject({ url: '/sign-in', headers: { cookie: mergeCookies(session.cookie, response.headers['set-cookie']) } });
    expect(signIn.body).toContain('Белсенділік болмағандықтан сеанс аяқталды');
  });
});

describe('passwords', () => {
  it('gives the same answer to a reset request whatever the e-mail, and mails only a real account', async () => {
    const user = await createUser(database.db, 'staff');
    const answers: string[] = [];
    for (const email of [user.email, 'nobody-here@test.example']) {
      const page = await app.inject({ url: '/password/forgot', headers: { cookie: 'lang=ru' } });
      const cookie = mergeCookies('lang=ru', page.headers['set-cookie']);
      const response = await app.inject({ method: 'POST', url: '/password/forgot', headers: { cookie }, payload: { email, _csrf: csrfFrom(page.body) } });
      expect(response.statusCode).toBe(200);
      answers.push(response.body.replace(email, 'EMAIL').replace(/value="[^"]+"/g, '').replace(/[0-9a-f-]{36}/g, ''));
    }
    expect(answers[0]).toBe(answers[1]);
    const mails = await database.db.selectFrom('mail_outbox').selectAll().where('recipient', 'in', [user.email, 'nobody-here@test.example']).execute();
    expect(mails.map((m) => m.recipient)).toEqual([user.email]);
  });

  it('resets a password with the mailed single-use link, ending every session', async () => {
    const user = await createUser(database.db, 'staff');
    const session = await signInAs(app, user);
    const page = await app.inject({ url: '/password/forgot' });
    const cookie = mergeCookies('', page.headers['set-cookie']);
    await app.inject({ method: 'POST', url: '/password/forgot', headers: { cookie }, payload: { email: user.email, _csrf: csrfFrom(page.body) } });
    const mail = await database.db.selectFrom('mail_outbox').selectAll().where('recipient', '=', user.email).executeTakeFirstOrThrow();
    const link = /\/password\/reset\/[A-Za-z0-9_-]+/.exec(mail.body_text)![0];

    const form = await app.inject({ url: link });
    expect(form.statusCode).toBe(200);
    const formCookie = mergeCookies('lang=ru', form.headers['set-cookie']);
    const weak = await app.inject({ method: 'POST', url: link, headers: { cookie: formCookie }, payload: { password: 'password1234', password_confirmation: 'password1234', _csrf: csrfFrom(form.body) } });
    expect(weak.statusCode).toBe(422);
    expect(weak.body).toContain('самых распространенных');
    const newPassword = 'a new long passphrase for the portal';
    const done = await app.inject({ method: 'POST', url: link, headers: { cookie: formCookie }, payload: { password: newPassword, password_confirmation: newPassword, _csrf: csrfFrom(form.body) } });
    expect(done.statusCode).toBe(303);
    expect((await app.inject({ url: '/account', headers: { cookie: session.cookie } })).statusCode).toBe(303);
    expect((await app.inject({ url: link })).statusCode).toBe(404);
    expect((await postSignIn(user.email, newPassword)).response.statusCode).toBe(303);
    expect(await auditActions(user.id)).toEqual(expect.arrayContaining(['password_reset.requested', 'user.password_reset']));
  });

  it('changes a password only with the current one, and keeps this session', async () => {
    const user = await createUser(database.db, 'staff');
    const session = await signInAs(app, user);
    const other = await signInAs(app, user);
    const wrong = await app.inject({ method: 'POST', url: '/account/password', headers: { cookie: session.cookie }, payload: { current: 'wrong', password: 'x', password_confirmation: 'x', _csrf: session.csrf } });
    expect(wrong.statusCode).toBe(422);
    const next = 'another long passphrase 2026';
    const ok = await app.inject({ method: 'POST', url: '/account/password', headers: { cookie: session.cookie }, payload: { current: TEST_PASSWORD, password: next, password_confirmation: next, _csrf: session.csrf } });
    expect(ok.statusCode).toBe(303);
    expect((await app.inject({ url: '/account', headers: { cookie: session.cookie } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/account', headers: { cookie: other.cookie } })).statusCode).toBe(303);
  });
});
