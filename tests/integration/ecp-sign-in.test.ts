/**
 * Sign-in with ЭЦП through the real pages, against the openssl-made NCA-shaped PKI with its OCSP
 * responder and CRL server: each refusal comes from its own check, with its own message and audit
 * event, and good AUTH signatures of an individual and of an employee sign in (without a one-time
 * code for a reviewer).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, fromFreshAddresses } from '../support/app.ts';
import { createOrganization, createUser, csrfFrom, mergeCookies } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createTestPki, type TestKey, type TestPki } from '../support/test-pki.ts';

let database: TestDatabase;
let server: FastifyInstance;
let portal: Pick<FastifyInstance, 'inject'>;
let pki: TestPki;

beforeAll(async () => {
  pki = await createTestPki();
  database = await createTestDatabase();
  server = await buildTestApp(database, { PKI_TRUST_DIR: pki.trustDir, PKI_REVOCATION_TIMEOUT_MS: '2000' });
  portal = fromFreshAddresses(server);
});
afterAll(async () => {
  await server?.close();
  await database?.destroy();
  await pki?.close();
});

interface Page {
  cookie: string;
  csrf: string;
  nonce: string;
}

async function openPage(lang = 'en'): Promise<Page> {
  const page = await portal.inject({ url: '/sign-in/ecp?return=/account', headers: { cookie: `lang=${lang}` } });
  expect(page.statusCode).toBe(200);
  const nonce = /data-nonce="([^"]+)"/.exec(page.body)![1]!;
  return { cookie: mergeCookies(`lang=${lang}`, page.headers['set-cookie']), csrf: csrfFrom(page.body), nonce };
}

async function post(page: Page, cms: string, nonce = page.nonce) {
  return portal.inject({ method: 'POST', url: '/sign-in/ecp', headers: { cookie: page.cookie }, payload: { nonce, cms, return: '/account', _csrf: page.csrf } });
}

async function signed(key: TestKey, nonce: string): Promise<string> {
  return (await pki.sign(key, Buffer.from(nonce, 'utf8'))).toString('base64');
}

async function lastRefusal(): Promise<Record<string, unknown>> {
  const row = await database.db.selectFrom('audit_events').select(['after']).where('action', '=', 'sign_in.ecp_refused').orderBy('id', 'desc').executeTakeFirstOrThrow();
  return row.after as Record<string, unknown>;
}

async function withIin(iin: string, role: 'staff' | 'reviewer' = 'staff', organizationId?: string) {
  await database.db.updateTable('users').set({ iin: null }).where('iin', '=', iin).execute();
  const user = await createUser(database.db, role, organizationId ? { organizationId } : {});
  await database.db.updateTable('users').set({ iin }).where('id', '=', user.id).execute();
  return user;
}

async function refusedWith(response: { statusCode: number; body: string }, status: number, message: string, reason: string) {
  expect(response.statusCode).toBe(status);
  expect(response.body).toContain(message);
  expect(await lastRefusal()).toMatchObject({ reason });
}

describe('sign-in with ЭЦП', () => {
  it('an individual signs in with an AUTH key; the certificate is linked at the first sign-in and audited', async () => {
    const user = await withIin(pki.keys.individualAuth.iin);
    const page = await openPage();
    const response = await post(page, await signed(pki.keys.individualAuth, page.nonce));
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/account');
    const account = await portal.inject({ url: '/account', headers: { cookie: mergeCookies(page.cookie, response.headers['set-cookie']) } });
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain(user.email);
    const linked = await database.db.selectFrom('user_certificates').selectAll().where('user_id', '=', user.id).execute();
    expect(linked).toMatchObject([{ serial_number: pki.keys.individualAuth.serialHex, iin: pki.keys.individualAuth.iin, bin: null }]);
    const actions = await database.db.selectFrom('audit_events').select(['action', 'after']).where('entity_id', '=', user.id).orderBy('id').execute();
    expect(actions.map((a) => a.action)).toEqual(['user.certificate_linked', 'sign_in.succeeded']);
    expect(actions[1]!.after).toMatchObject({ method: 'ecp', revocation: 'good' });

    // The second sign-in moves the last use and links nothing new.
    const again = await openPage();
    expect((await post(again, await signed(pki.keys.individualAuth, again.nonce))).statusCode).toBe(303);
    const after = await database.db.selectFrom('audit_events').select('action').where('entity_id', '=', user.id).orderBy('id').execute();
    expect(after.map((a) => a.action)).toEqual(['user.certificate_linked', 'sign_in.succeeded', 'sign_in.succeeded']);
  });

  it("an employee signs in with the organization's AUTH key (BIN of the user's organization); a reviewer is asked no one-time code", async () => {
    const organizationId = await createOrganization(database.db, { bin: pki.keys.employeeAuth.bin! });
    const reviewer = await withIin(pki.keys.employeeAuth.iin, 'reviewer', organizationId);
    expect(reviewer.totpSecret).not.toBeNull();
    const page = await openPage();
    const response = await post(page, await signed(pki.keys.employeeAuth, page.nonce));
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/account');
    const account = await portal.inject({ url: '/account', headers: { cookie: mergeCookies(page.cookie, response.headers['set-cookie']) } });
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain(reviewer.email);
  });

  it('refuses a wrong challenge and a replayed one', async () => {
    await withIin(pki.keys.individualAuth.iin);
    const page = await openPage();
    const cms = await signed(pki.keys.individualAuth, page.nonce);
    await refusedWith(await post(page, cms, 'not-the-challenge-of-this-page-0123'), 422, 'This sign-in page is no longer valid', 'challenge_invalid');
    // The wrong nonce did not spend the real one; the first post of it signs in, the replay is refused.
    expect((await post(page, cms)).statusCode).toBe(303);
    const replay = await openPage();
    await refusedWith(await post({ ...replay, nonce: page.nonce }, cms), 422, 'This sign-in page is no longer valid', 'challenge_invalid');
  });

  it('refuses an expired challenge', async () => {
    await withIin(pki.keys.individualAuth.iin);
    const page = await openPage();
    await database.db.updateTable('sign_in_challenges').set({ created_at: new Date(Date.now() - 3600_000), expires_at: new Date(Date.now() - 60_000) }).where('nonce', '=', page.nonce).execute();
    await refusedWith(await post(page, await signed(pki.keys.individualAuth, page.nonce)), 422, 'The time for signing ran out', 'challenge_expired');
  });

  it('refuses a certificate not valid yet, expired, revoked, or from the look-alike CA', async () => {
    const cases: Array<[TestKey, string, string]> = [
      [pki.keys.notYetValid, 'Your certificate is not valid yet', 'not_yet_valid'],
      [pki.keys.expired, 'Your certificate has expired', 'expired'],
      [pki.keys.revokedAuth, 'Your certificate has been revoked', 'revoked'],
      [pki.keys.lookAlike, 'The certificate was not issued by the National Certification Authority', 'unknown_ca'],
    ];
    for (const [key, message, reason] of cases) {
      const page = await openPage();
      await refusedWith(await post(page, await signed(key, page.nonce)), 403, message, reason);
    }
  });

  it('refuses a SIGN key used to sign in', async () => {
    await withIin(pki.keys.individualSign.iin);
    const page = await openPage();
    await refusedWith(await post(page, await signed(pki.keys.individualSign, page.nonce)), 403, 'That is a signing key (SIGN', 'wrong_key_usage');
  });

  it('refuses an IIN that belongs to nobody, with a link to the account-request form filled in from the certificate', async () => {
    await database.db.updateTable('users').set({ iin: null }).where('iin', '=', pki.keys.individualAuth.iin).execute();
    const page = await openPage('ru');
    const response = await post(page, await signed(pki.keys.individualAuth, page.nonce));
    await refusedWith(response, 403, 'Ни у одной учетной записи портала нет ИИН этого сертификата', 'unknown_iin');
    expect(response.body).toContain('href="/account-requests/new?surname=%D0%A2%D0%95%D0%A1%D0%A2%D0%9E%D0%92&amp;given_name=');
    const form = await portal.inject({ url: '/account-requests/new?surname=ТЕСТОВ&given_name=ТЕСТОВИЧ&bin=123456789021', headers: { cookie: 'lang=ru' } });
    expect(form.statusCode).toBe(200);
    expect(form.body).toMatch(/name="people\[0\]\[surname\]"[^>]*value="ТЕСТОВ"/);
    expect(form.body).toMatch(/name="people\[0\]\[given_name\]"[^>]*value="ТЕСТОВИЧ"/);
    expect(form.body).toMatch(/name="organization_bin"[^>]*value="123456789021"/);
  });

  it("refuses an employee's certificate of another organization (BIN)", async () => {
    const otherOrganization = await createOrganization(database.db);
    await withIin(pki.keys.employeeAuth.iin, 'staff', otherOrganization);
    const page = await openPage('kk');
    await refusedWith(await post(page, await signed(pki.keys.employeeAuth, page.nonce)), 403, 'бірақ оның БСН-і есептік жазбаңыздың ұйымына сәйкес келмейді', 'other_organization');
  });
});
