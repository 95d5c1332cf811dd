import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import * as OTPAuth from 'otpauth';
import type { Database, Role } from '../../src/db/database.ts';
import { hashPassword } from '../../src/modules/users/passwords.ts';

export const TEST_PASSWORD = 'correct horse battery staple 2026';
const passwordHash = hashPassword(TEST_PASSWORD);

export interface TestUser {
  id: string;
  email: string;
  role: Role;
  organizationId: string | null;
  /** Base32 TOTP secret when the user has a second factor (admins and reviewers always do here). */
  totpSecret: string | null;
}

export async function createOrganization(db: Kysely<Database>, overrides: Partial<{ bin: string; name_ru: string; name_kk: string; kind: Database['organizations']['kind'] }> = {}): Promise<string> {
  const row = await db
    .insertInto('organizations')
    .values({
      bin: overrides.bin ?? `9903400${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`,
      kind: overrides.kind ?? 'central_state_body',
      name_kk: overrides.name_kk ?? 'Сынақ министрлігі',
      name_ru: overrides.name_ru ?? 'Тестовое министерство',
      name_en: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** An active user with TEST_PASSWORD; staff get an organization of their own unless one is given. */
export async function createUser(
  db: Kysely<Database>,
  role: Role,
  options: { organizationId?: string | null; email?: string; secondFactor?: boolean } = {},
): Promise<TestUser> {
  const organizationId = options.organizationId !== undefined ? options.organizationId : role === 'staff' ? await createOrganization(db) : null;
  const withSecondFactor = options.secondFactor ?? (role === 'admin' || role === 'reviewer');
  const totpSecret = withSecondFactor ? new OTPAuth.Secret({ size: 20 }).base32 : null;
  const email = options.email ?? `${role}.${randomBytes(4).toString('hex')}@test.example`;
  const row = await db
    .insertInto('users')
    .values({
      email,
      surname: 'Тестов',
      given_name: 'Тест',
      patronymic: null,
      position: null,
      phone: null,
      role,
      organization_id: organizationId,
      password_hash: await passwordHash,
      status: 'active',
      preferred_language: null,
      totp_secret: totpSecret,
      totp_enabled_at: totpSecret ? new Date() : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, email, role, organizationId, totpSecret };
}

export function totpCode(secret: string, at = Date.now()): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at });
}

/** Cookies from a response merged into a Cookie header value. */
export function mergeCookies(previous: string, setCookie: string | string[] | undefined): string {
  const jar = new Map(previous.split('; ').filter(Boolean).map((pair) => [pair.split('=')[0]!, pair] as const));
  for (const header of [setCookie ?? []].flat()) {
    const pair = header.split(';')[0]!;
    jar.set(pair.split('=')[0]!, pair);
  }
  return [...jar.values()].join('; ');
}

export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1]!;
}

export interface Browserless {
  cookie: string;
  /** A CSRF token valid for the session (from a page with a form). */
  csrf: string;
}

/** Signs in through the real pages (password, then the one-time code when the user has one). */
export async function signInAs(app: Pick<FastifyInstance, 'inject'>, user: TestUser, password = TEST_PASSWORD): Promise<Browserless> {
  const page = await app.inject({ url: '/sign-in' });
  let cookie = mergeCookies('', page.headers['set-cookie']);
  const signIn = await app.inject({
    method: 'POST',
    url: '/sign-in',
    headers: { cookie },
    payload: { email: user.email, password, _csrf: csrfFrom(page.body) },
  });
  cookie = mergeCookies(cookie, signIn.headers['set-cookie']);
  if (signIn.statusCode !== 303) throw new Error(`sign-in failed with ${signIn.statusCode}`);
  if (String(signIn.headers.location).startsWith('/sign-in/second-factor')) {
    if (!user.totpSecret) throw new Error('second factor asked of a user without one');
    const form = await app.inject({ url: String(signIn.headers.location), headers: { cookie } });
    cookie = mergeCookies(cookie, form.headers['set-cookie']);
    const verify = await app.inject({
      method: 'POST',
      url: '/sign-in/second-factor',
      headers: { cookie },
      payload: { code: totpCode(user.totpSecret), _csrf: csrfFrom(form.body) },
    });
    cookie = mergeCookies(cookie, verify.headers['set-cookie']);
    if (verify.statusCode !== 303) throw new Error(`second factor failed with ${verify.statusCode}`);
  }
  const account = await app.inject({ url: '/account', headers: { cookie } });
  if (account.statusCode !== 200) throw new Error(`not signed in: /account answered ${account.statusCode}`);
  cookie = mergeCookies(cookie, account.headers['set-cookie']);
  return { cookie, csrf: csrfFrom(account.body) };
}
