import type { FastifyInstance } from 'fastify';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENDING_SIGN_IN_MS } from '../../src/modules/auth/second-factor.web.ts';
import { buildTestApp, fromFreshAddresses } from '../support/app.ts';
import { createUser, csrfFrom, mergeCookies, signInAs, TEST_PASSWORD, type TestUser, totpCode } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let server: FastifyInstance;
let portal: Pick<FastifyInstance, 'inject'>;


beforeAll(async () => {
  database = await createTestDatabase();
  server = await buildTestApp(database);
  portal = fromFreshAddresses(server);
});
afterAll(async () => {
  await server?.close();
  await database?.destroy();
});

async function auditActions(entityId: string): Promise<Array<{ action: string; after: unknown }>> {
  return database.db.selectFrom('audit_events').select(['action', 'after']).where('entity_id', '=', entityId).orderBy('id').execute();
}

/** Password accepted: returns the cookie of the pending sign-in and where the portal sent it. */
async function passwordStep(user: TestUser, returnTo = '/account') {
  const page = await portal.inject({ url: `/sign-in?return=${encodeURIComponent(returnTo)}`, headers: { cookie: 'lang=en' } });
  let cookie = mergeCookies('lang=en', page.headers['set-cookie']);
  const response = await portal.inject({
    method: 'POST',
    url: '/sign-in',
    headers: { cookie },
    payload: { email: user.email, password: TEST_PASSWORD, return: returnTo, _csrf: csrfFrom(page.body) },
  });
  expect(response.statusCode).toBe(303);
  cookie = mergeCookies(cookie, response.headers['set-cookie']);
  return { cookie, location: String(response.headers.location) };
}

async function openPage(url: string, cookie: string) {
  const response = await portal.inject({ url, headers: { cookie } });
  return { response, cookie: mergeCookies(cookie, response.headers['set-cookie']) };
}

/** Fills in the form on the page at `url` as a browser would (hidden fields included) and sends it. */
async function postCode(url: string, cookie: string, code: string) {
  const page = await openPage(url, cookie);
  const hidden = Object.fromEntries([...page.response.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
  const response = await portal.inject({ method: 'POST', url: url.split('?')[0]!, headers: { cookie: page.cookie }, payload: { ...hidden, code } });
  return { response, cookie: mergeCookies(page.cookie, response.headers['set-cookie']), page: page.response };
}

function acceptedCodes(secret: string, at = Date.now()): string[] {
  return [-30_000, 0, 30_000].map((offset) => totpCode(secret, at + offset));
}

function wrongCode(secret: string): string {
  const accepted = new Set([...acceptedCodes(secret), ...acceptedCodes(secret, Date.now() + 60_000)]);
  for (let n = 123_456; ; n++) {
    const candidate = String(n % 1_000_000).padStart(6, '0');
    if (!accepted.has(candidate)) return candidate;
  }
}

/** The key shown for typing by hand on an enrolment page. */
function secretOnPage(html: string): string {
  const match = /<code>([A-Z2-7 ]+)<\/code>/.exec(html);
  if (!match) throw new Error('no key on the enrolment page');
  return match[1]!.replaceAll(' ', '');
}

describe('second factor at sign-in', () => {
  it('asks an administrator for the code before the session starts, then goes where they were going', async () => {
    const admin = await createUser(database.db, 'admin');
    const pending = await passwordStep(admin, '/account');
    expect(pending.location).toBe('/sign-in/second-factor?return=%2Faccount');
    // The password alone signs nobody in.
    const early = await openPage('/account', pending.cookie);
    expect(early.response.statusCode).toBe(303);

    const form = await openPage(pending.location, pending.cookie);
    expect(form.response.statusCode).toBe(200);
    expect(form.response.body).toContain('Enter the one-time code');
    expect(form.response.body).toContain('autocomplete="one-time-code"');

    const verified = await postCode(pending.location, pending.cookie, totpCode(admin.totpSecret!));
    expect(verified.response.statusCode).toBe(303);
    expect(verified.response.headers.location).toBe('/account');
    const account = await openPage('/account', verified.cookie);
    expect(account.response.statusCode).toBe(200);
    expect((await auditActions(admin.id)).map((e) => e.action)).toEqual(['sign_in.password_accepted', 'sign_in.succeeded']);
  });

  it('sends a visitor without a pending sign-in to the sign-in page', async () => {
    const response = await portal.inject({ url: '/sign-in/second-factor' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/sign-in');
  });

  it('starts again when the password step is more than five minutes old', async () => {
    const admin = await createUser(database.db, 'admin');
    const pending = await passwordStep(admin, '/account');
    const rows = await database.db.selectFrom('sessions').select(['sid', 'data']).execute();
    for (const row of rows.filter((r) => (r.data as { pendingUserId?: string }).pendingUserId === admin.id)) {
      const data = { ...(row.data as Record<string, unknown>), pendingSince: Date.now() - PENDING_SIGN_IN_MS - 1000 };
      await database.db.updateTable('sessions').set({ data: JSON.stringify(data) }).where('sid', '=', row.sid).execute();
    }
    const late = await openPage(pending.location, pending.cookie);
    expect(late.response.statusCode).toBe(303);
    expect(late.response.headers.location).toBe('/sign-in?return=%2Faccount');
    const signIn = await openPage(String(late.response.headers.location), late.cookie);
    expect(signIn.response.body).toContain('Signing in took too long');
  });

  it('refuses wrong codes in the user language, and locks the account after five failures in a row', async () => {
    const reviewer = await createUser(database.db, 'reviewer');
    const pending = await passwordStep(reviewer);
    const wrong = wrongCode(reviewer.totpSecret!);
    for (let attempt = 1; attempt <= 4; attempt++) {
      const refused = await postCode(pending.location, pending.cookie, wrong);
      expect(refused.response.statusCode).toBe(422);
      expect(refused.response.body).toContain('The code is wrong');
    }
    const malformed = await postCode(pending.location, pending.cookie, '12 34');
    expect(malformed.response.statusCode).toBe(422);
    expect(malformed.response.body).toContain('Enter the 6 digits the app shows');

    const fifth = await postCode(pending.location, pending.cookie, wrong);
    expect(fifth.response.statusCode).toBe(429);
    expect(fifth.response.body).toContain('sign-in is blocked until');
    const row = await database.db.selectFrom('users').select(['locked_until', 'failed_sign_ins']).where('id', '=', reviewer.id).executeTakeFirstOrThrow();
    expect(row.locked_until!.getTime()).toBeGreaterThan(Date.now() + 14 * 60 * 1000);

    // The pending sign-in is over, and the password is refused while the lock lasts.
    const afterLock = await openPage(pending.location, fifth.cookie);
    expect(afterLock.response.statusCode).toBe(303);
    const page = await portal.inject({ url: '/sign-in' });
    const again = await portal.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { cookie: mergeCookies('', page.headers['set-cookie']) },
      payload: { email: reviewer.email, password: TEST_PASSWORD, _csrf: csrfFrom(page.body) },
    });
    expect(again.statusCode).toBe(429);

    const events = await auditActions(reviewer.id);
    const failures = events.filter((e) => e.action === 'sign_in.second_factor_failed');
    expect(failures).toHaveLength(5);
    expect(failures.at(-1)!.after).toEqual({ reason: 'wrong_code', consecutiveFailures: 5 });
    expect(events.map((e) => e.action)).toContain('user.locked');
    expect(events.map((e) => e.action)).not.toContain('sign_in.succeeded');
  });

  it('keeps counting wrong codes when the known password is entered again in between', async () => {
    const admin = await createUser(database.db, 'admin');
    const wrong = wrongCode(admin.totpSecret!);
    let last = 0;
    for (let attempt = 1; attempt <= 5; attempt++) {
      // A fresh password step before every code: it must not reset the failure count.
      const pending = await passwordStep(admin);
      last = (await postCode(pending.location, pending.cookie, wrong)).response.statusCode;
    }
    expect(last).toBe(429);
    const row = await database.db.selectFrom('users').select('locked_until').where('id', '=', admin.id).executeTakeFirstOrThrow();
    expect(row.locked_until).not.toBeNull();
  });

  it('refuses a code that was already used, even within its 90 seconds', async () => {
    const admin = await createUser(database.db, 'admin');
    const code = totpCode(admin.totpSecret!);
    const first = await passwordStep(admin);
    expect((await postCode(first.location, first.cookie, code)).response.statusCode).toBe(303);

    const second = await passwordStep(admin);
    const replay = await postCode(second.location, second.cookie, code);
    expect(replay.response.statusCode).toBe(422);
    expect(replay.response.body).toContain('This code was already used');
    expect((await openPage('/account', replay.cookie)).response.statusCode).toBe(303);
    const failure = (await auditActions(admin.id)).find((e) => e.action === 'sign_in.second_factor_failed');
    expect(failure?.after).toEqual({ reason: 'replayed_code', consecutiveFailures: 1 });
  });

  it('has a reviewer without a second factor set one up right there, then signs them in', async () => {
    const reviewer = await createUser(database.db, 'reviewer', { secondFactor: false });
    const pending = await passwordStep(reviewer);
    expect(pending.location).toBe('/sign-in/second-factor?return=%2Faccount');

    const enrol = await openPage(pending.location, pending.cookie);
    expect(enrol.response.statusCode).toBe(200);
    expect(enrol.response.body).toContain('Set up the second factor');
    expect(enrol.response.body).toMatch(/<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
    const secret = secretOnPage(enrol.response.body);
    // Reloading shows the same key, so a half-done set-up in the app stays valid.
    expect(secretOnPage((await openPage(pending.location, enrol.cookie)).response.body)).toBe(secret);

    const wrong = await postCode(pending.location, enrol.cookie, wrongCode(secret));
    expect(wrong.response.statusCode).toBe(422);
    expect(secretOnPage(wrong.response.body)).toBe(secret);
    expect((await database.db.selectFrom('users').select('totp_secret').where('id', '=', reviewer.id).executeTakeFirstOrThrow()).totp_secret).toBeNull();

    const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate();
    const done = await postCode(pending.location, wrong.cookie, code);
    expect(done.response.statusCode).toBe(303);
    expect(done.response.headers.location).toBe('/account');
    expect((await openPage('/account', done.cookie)).response.statusCode).toBe(200);

    const row = await database.db.selectFrom('users').select(['totp_secret', 'totp_enabled_at', 'totp_last_step']).where('id', '=', reviewer.id).executeTakeFirstOrThrow();
    expect(row.totp_secret).toBe(secret);
    expect(row.totp_enabled_at).not.toBeNull();
    expect(row.totp_last_step).not.toBeNull();
    const actions = (await auditActions(reviewer.id)).map((e) => e.action);
    expect(actions).toEqual(['sign_in.password_accepted', 'user.second_factor_enabled', 'sign_in.succeeded']);
    // From now on the code is asked for.
    const next = await passwordStep(reviewer);
    expect((await openPage(next.location, next.cookie)).response.body).toContain('Enter the one-time code');
  });
});

describe('second factor in the account', () => {
  it('lets staff turn it on with a confirmed code, asks for it at sign-in, and turn it off with a current code', async () => {
    const staff = await createUser(database.db, 'staff');
    const session = await signInAs(portal, staff);
    const cookie = `${session.cookie}; lang=en`;

    const page = await openPage('/account/two-factor', cookie);
    expect(page.response.statusCode).toBe(200);
    expect(page.response.body).toContain('Turn on the second factor');
    const secret = secretOnPage(page.response.body);

    const refused = await portal.inject({ method: 'POST', url: '/account/two-factor', headers: { cookie: page.cookie }, payload: { action: 'enable', code: wrongCode(secret), _csrf: session.csrf } });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('The code is wrong');

    // A code of the previous step, so that signing in below (current step) is not a replay.
    const enabled = await portal.inject({
      method: 'POST',
      url: '/account/two-factor',
      headers: { cookie: page.cookie },
      payload: { action: 'enable', code: totpCode(secret, Date.now() - 30_000), _csrf: session.csrf },
    });
    expect(enabled.statusCode).toBe(303);
    expect(enabled.headers.location).toBe('/account/two-factor');
    const shown = await openPage('/account/two-factor', page.cookie);
    expect(shown.response.body).toContain('The second factor is on.');
    expect(shown.response.body).toContain('Turn off');

    const withCode = await signInAs(portal, { ...staff, totpSecret: secret });
    const next = `${withCode.cookie}; lang=en`;
    const wrongOff = await portal.inject({ method: 'POST', url: '/account/two-factor', headers: { cookie: next }, payload: { action: 'disable', code: wrongCode(secret), _csrf: withCode.csrf } });
    expect(wrongOff.statusCode).toBe(422);
    const off = await portal.inject({
      method: 'POST',
      url: '/account/two-factor',
      headers: { cookie: next },
      payload: { action: 'disable', code: totpCode(secret, Date.now() + 30_000), _csrf: withCode.csrf },
    });
    expect(off.statusCode).toBe(303);
    const row = await database.db.selectFrom('users').select(['totp_secret', 'totp_enabled_at']).where('id', '=', staff.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ totp_secret: null, totp_enabled_at: null });
    const events = (await auditActions(staff.id)).filter((e) => e.action.startsWith('user.second_factor'));
    expect(events.map((e) => e.action)).toEqual(['user.second_factor_enabled', 'user.second_factor_disabled']);
    expect(events[1]!.after).toEqual({ secondFactor: false });
    // And sign-in no longer asks for a code.
    await signInAs(portal, staff);
  });

  it('does not let administrators or reviewers turn it off', async () => {
    for (const role of ['admin', 'reviewer'] as const) {
      const user = await createUser(database.db, role);
      const session = await signInAs(portal, user);
      const cookie = `${session.cookie}; lang=en`;
      const page = await openPage('/account/two-factor', cookie);
      expect(page.response.body).toContain('Your role requires the second factor');
      expect(page.response.body).not.toContain('name="action" value="disable"');
      const refused = await portal.inject({
        method: 'POST',
        url: '/account/two-factor',
        headers: { cookie },
        payload: { action: 'disable', code: totpCode(user.totpSecret!, Date.now() + 30_000), _csrf: session.csrf },
      });
      expect(refused.statusCode).toBe(403);
      const row = await database.db.selectFrom('users').select('totp_enabled_at').where('id', '=', user.id).executeTakeFirstOrThrow();
      expect(row.totp_enabled_at).not.toBeNull();
    }
  });
});
