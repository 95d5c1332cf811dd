import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Language } from '../../src/config.ts';
import { ensureKnownCalendarYears } from '../../src/modules/calendar/calendar.service.ts';
import { checkDigit, makeValidBin } from '../../src/modules/organizations/bin-iin.ts';
import { translator } from '../../src/web/i18n.ts';
import { buildTestApp } from '../support/app.ts';
import { createUser, type TestUser } from '../support/auth.ts';
import { launchBrowser, screenshotsDir, signInThroughPages } from '../support/browser.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let app: FastifyInstance;
let browser: Browser;
let baseUrl: string;

function validIin(birth: string, serial: number): string {
  for (let s = serial; ; s += 1) {
    const first11 = `${birth}3${String(s).padStart(4, '0')}`;
    const digit = checkDigit(first11);
    if (digit !== null) return `${first11}${digit}`;
  }
}

function validBin(serial: number): string {
  for (let s = serial; ; s += 1) {
    const bin = makeValidBin(`150740${String(s).padStart(5, '0')}`);
    if (bin) return bin;
  }
}

async function newPage(language: Language): Promise<Page> {
  const context = await browser.newContext({ locale: language === 'kk' ? 'kk-KZ' : 'ru-RU', viewport: { width: 1280, height: 1000 } });
  await context.addCookies([{ name: 'lang', value: language, url: baseUrl }]);
  return context.newPage();
}


beforeAll(async () => {
  database = await createTestDatabase();
  await ensureKnownCalendarYears(database.db);
  app = await buildTestApp(database);
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await database?.destroy();
});

describe.each(['kk', 'ru'] as const)('account request end to end in %s', (language) => {
  const t = translator(language);
  const stamp = `${language}${Date.now() % 100000}`;
  // One person has one account (users.iin is unique), so each language's run has people of its own.
  const serial = language === 'kk' ? 100 : 300;
  const people = [
    { surname: 'Сапарова', given_name: 'Гүлнар', email: `gulnar.${stamp}@test.example`, iin: validIin('850412', serial) },
    { surname: 'Петров', given_name: 'Андрей', email: `andrey.${stamp}@test.example`, iin: validIin('900101', serial + 100) },
  ];

  it('goes from an anonymous request to a signed-in, then signed-out, new user', async () => {
    // Users of their own per language: a one-time code is accepted once, so two runs within the
    // same 30 seconds must not share a reviewer.
    const reviewer: TestUser = await createUser(database.db, 'reviewer');
    const admin: TestUser = await createUser(database.db, 'admin');
    // 1. Anyone requests accounts for two people, adding the second row on the page.
    const visitor = await newPage(language);
    await visitor.goto(`${baseUrl}/account-requests/new`);
    expect(await visitor.getAttribute('html', 'lang')).toBe(language);
    await visitor.fill('[name="organization_name"]', `Тест ұйымы ${stamp}`);
    await visitor.fill('[name="organization_bin"]', validBin(language === 'kk' ? 100 : 300));
    await visitor.selectOption('[name="organization_kind"]', 'central_state_body');
    const fillPerson = async (index: number, person: (typeof people)[number]) => {
      const field = (name: string) => `[name="people[${index}][${name}]"]`;
      await visitor.fill(field('division'), 'Цифрландыру басқармасы');
      await visitor.fill(field('surname'), person.surname);
      await visitor.fill(field('given_name'), person.given_name);
      await visitor.fill(field('position'), 'Бас маман');
      await visitor.fill(field('iin'), person.iin);
      await visitor.fill(field('phone'), '8 701 555 12 34');
      await visitor.fill(field('email'), person.email);
      await visitor.fill(field('purpose'), 'Ақпараттандыру объектілерін есепке алу');
    };
    await fillPerson(0, people[0]!);
    await visitor.click('button[name="add_person"]');
    expect(await visitor.inputValue('[name="people[0][surname]"]')).toBe(people[0]!.surname);
    await fillPerson(1, people[1]!);
    await visitor.fill('[name="contact_name"]', 'Байжанов Марат');
    await visitor.fill('[name="contact_email"]', `contact.${stamp}@test.example`);
    await visitor.fill('[name="contact_phone"]', '+7 (701) 555-00-11');
    await visitor.click('form[action="/account-requests"] > button.button[name="action"][value="submit"]');
    await visitor.waitForURL(/\/account-requests\/submitted\//);
    const number = decodeURIComponent(visitor.url().split('/').pop()!);
    expect(await visitor.textContent('main')).toContain(number);
    await visitor.screenshot({ path: path.join(screenshotsDir, `account-request-submitted-${language}.png`), fullPage: true });
    await visitor.context().close();

    // 2. A reviewer approves the first person and rejects the second with a reason.
    const review = await newPage(language);
    await signInThroughPages(review, baseUrl, reviewer);
    await review.goto(`${baseUrl}/review/account-requests`);
    await review.click(`a:text("${number}")`);
    await review.screenshot({ path: path.join(screenshotsDir, `account-request-review-${language}.png`), fullPage: true });
    const approveForm = review.locator('form').filter({ has: review.locator('input[name="decision"][value="approve"]') }).first();
    await approveForm.locator('button[type="submit"]').click();
    await review.waitForLoadState();
    const rejectForm = review.locator('form').filter({ has: review.locator('input[name="decision"][value="reject"]') }).first();
    await rejectForm.locator('textarea[name="reason"]').fill('Лауазымы порталға кіруді талап етпейді');
    await rejectForm.locator('button[type="submit"]').click();
    await review.waitForLoadState();
    expect(await review.textContent('main')).toContain(people[1]!.email);
    await review.context().close();

    const decisions = await database.db.selectFrom('account_request_people').select(['email', 'decision']).where('email', 'in', people.map((p) => p.email)).orderBy('position_no').execute();
    expect(decisions).toEqual([
      { email: people[0]!.email, decision: 'approved' },
      { email: people[1]!.email, decision: 'rejected' },
    ]);

    // 3. The activation link, read from the outbox page as an administrator would.
    const adminPage = await newPage(language);
    await signInThroughPages(adminPage, baseUrl, admin);
    await adminPage.goto(`${baseUrl}/admin/outbox?recipient=${encodeURIComponent(people[0]!.email)}`);
    const messages = adminPage.locator('main table a');
    expect(await messages.count()).toBeGreaterThanOrEqual(2);
    const hrefs = await messages.evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href));
    let activation: string | null = null;
    for (const href of hrefs) {
      await adminPage.goto(href);
      const link = adminPage.locator('a[href*="/activate/"]').first();
      if (await link.count()) activation = await link.getAttribute('href');
    }
    // The link is absolute, on the configured BASE_URL; this server listens elsewhere, so follow its path.
    expect(activation).toMatch(/^http:\/\/localhost:3000\/activate\/[A-Za-z0-9_-]{43}$/);
    await adminPage.context().close();

    // 4. The new user sets a password, signs in and signs out.
    const newcomer = await newPage(language);
    await newcomer.goto(new URL(new URL(activation!).pathname, baseUrl).href);
    const password = `жаңа құпия сөз ${stamp}`;
    await newcomer.fill('[name="password"]', password);
    await newcomer.fill('[name="password_confirmation"]', password);
    await newcomer.click('main form button[type="submit"]');
    await newcomer.waitForURL(/\/sign-in$/);
    expect(await newcomer.textContent('.flash')).toBe(t('auth.activated'));
    await signInThroughPages(newcomer, baseUrl, { email: people[0]!.email }, password);
    expect(await newcomer.textContent('.signed-in-as')).toContain(people[0]!.surname);
    await newcomer.screenshot({ path: path.join(screenshotsDir, `account-request-signed-in-${language}.png`), fullPage: true });
    await newcomer.click('form[action="/sign-out"] button');
    await newcomer.waitForLoadState();
    expect(await newcomer.locator('.sign-in-link').textContent()).toBe(t('auth.sign_in_link'));
    await newcomer.context().close();
  });
});
