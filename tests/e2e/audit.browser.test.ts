import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Language } from '../../src/config.ts';
import { toAlmatyDate } from '../../src/modules/calendar/working-days.ts';
import { translator } from '../../src/web/i18n.ts';
import { createOrganization, createUser, type TestUser } from '../support/auth.ts';
import { placeDocument, screenshotsDir, signInThroughPages } from '../support/browser.ts';
import type { TestDatabase } from '../support/database.ts';
import { samplePassport } from '../support/objects.ts';
import { type RunningPortal, startPortalForBrowser } from '../support/portal.ts';

let database: TestDatabase;
let portal: RunningPortal;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  portal = await startPortalForBrowser();
  ({ database, browser, baseUrl } = portal);
});
afterAll(async () => {
  await portal?.stop();
});

async function context(language: Language): Promise<BrowserContext> {
  const created = await browser.newContext({ locale: language === 'kk' ? 'kk-KZ' : 'ru-RU', viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  await created.addCookies([{ name: 'lang', value: language, url: baseUrl }]);
  return created;
}

async function csrf(page: Page): Promise<string> {
  return ((await (await page.request.get(`${baseUrl}/api/session`)).json()) as { csrfToken: string }).csrfToken;
}

/** Staff register an object and place its document, submit it; the reviewer approves; staff download the extract. */
async function approvedObject(language: Language, bin: string, name: string): Promise<{ objectId: string; staff: TestUser; reviewer: TestUser; registeredAt: Date }> {
  const organization = await createOrganization(database.db, { bin });
  const staff = await createUser(database.db, 'staff', { organizationId: organization });
  const reviewer = await createUser(database.db, 'reviewer', { organizationId: null });
  const staffPage = await (await context(language)).newPage();
  await signInThroughPages(staffPage, baseUrl, staff);
  const registeredAt = new Date();
  const created = await staffPage.request.post(`${baseUrl}/api/objects`, { headers: { 'x-csrf-token': await csrf(staffPage) }, data: { passport: samplePassport(name), informationChangedOn: toAlmatyDate(new Date()) } });
  expect(created.status()).toBe(201);
  const objectId = ((await created.json()) as { id: string }).id;
  await placeDocument(staffPage, `${baseUrl}/objects/${objectId}`, 'technical_specification', 'good/tz.pdfa1.pdf', 'good/tz.docx');
  const submitted = await staffPage.request.post(`${baseUrl}/api/objects/${objectId}/submit`, { headers: { 'x-csrf-token': await csrf(staffPage) } });
  expect(submitted.status()).toBe(201);
  const reviewerPage = await (await context(language)).newPage();
  await signInThroughPages(reviewerPage, baseUrl, reviewer);
  const caseId = ((await submitted.json()) as { id: string }).id;
  const approved = await reviewerPage.request.post(`${baseUrl}/api/review-cases/${caseId}/decision`, { headers: { 'x-csrf-token': await csrf(reviewerPage) }, data: { decision: 'approve' } });
  expect(approved.status()).toBe(200);
  // The owner takes the extract from the object page (once it is rendered after the approval committed).
  await staffPage.goto(`${baseUrl}/objects/${objectId}`);
  for (let tries = 0; !(await staffPage.$('a[data-extract]')) && tries < 60; tries += 1) {
    await staffPage.waitForTimeout(500);
    await staffPage.reload();
  }
  const [download] = await Promise.all([staffPage.waitForEvent('download'), staffPage.click('a[data-extract]')]);
  expect(await download.failure()).toBeNull();
  await portal.server.deps.accessLog.flush();
  return { objectId, staff, reviewer, registeredAt };
}

for (const [language, bin, name] of [
  ['kk', '990340002456', 'Рұқсаттар тізілімі'],
  ['ru', '990340003566', 'Реестр лицензий'],
] as const) {
  describe(`the auditors' workbench, in ${language === 'kk' ? 'Kazakh' : 'Russian'}`, () => {
    const t = translator(language);
    it('follows an object from registration to approval, opens it as of a past moment, filters and exports one reviewer’s decisions, and sees who downloaded the extract', async () => {
      const { objectId, staff, reviewer } = await approvedObject(language, bin, name);
      const auditor = await createUser(database.db, 'auditor', { organizationId: null });
      const page = await (await context(language)).newPage();
      await signInThroughPages(page, baseUrl, auditor);

      // The timeline, from registration to the account code, in the page's language.
      await page.goto(`${baseUrl}/objects/${objectId}/history`);
      const actions = await page.locator('[data-timeline] li').evaluateAll((items) => items.map((item) => item.getAttribute('data-action')));
      expect(actions[0]).toBe('object.created');
      expect(actions).toEqual(expect.arrayContaining(['document.uploaded', 'document_file.checked', 'review_case.submitted', 'review_case.approved', 'object.account_code_assigned']));
      expect(await page.textContent('[data-timeline] li:first-child')).toContain(t('auditing.actions.object__created'));
      await page.screenshot({ path: path.join(screenshotsDir, `audit-timeline-${language}.png`), fullPage: true });

      // As of the moment just after registration: registered, in creation, not yet submitted.
      const createdAt = await page.getAttribute('[data-timeline] li:first-child time', 'datetime');
      const minuteAfter = new Date(new Date(createdAt!).getTime() + 60_000).toLocaleString('sv-SE', { timeZone: 'Asia/Almaty' }).slice(0, 16).replace(' ', 'T');
      await page.fill('#field-at', minuteAfter);
      await page.click('form[action$="/as-of"] button[type="submit"]');
      await page.waitForURL(/\/as-of\?at=/);
      expect(await page.getAttribute('[data-stage]', 'data-stage')).toBe('creation');
      expect(['none', 'submitted', 'accepted']).toContain(await page.getAttribute('[data-review]', 'data-review'));
      expect(await page.textContent('h1')).toBe(t('auditing.as_of.title', { name: language === 'kk' ? `${name} (kk)` : name }));

      // The log filtered to one reviewer's decisions, and their export.
      await page.goto(`${baseUrl}/audit`);
      await page.fill('#field-actor', reviewer.email);
      await page.fill('#field-action', 'review_case.approved');
      await page.click('form[action="/audit"] button[type="submit"]');
      await page.waitForURL(/\/audit\?/);
      const rows = await page.locator('[data-audit-events] tbody tr').evaluateAll((items) => items.map((item) => item.getAttribute('data-action')));
      expect(rows).toEqual(['review_case.approved']);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href^="/audit/export.jsonl"]')]);
      const exported = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { action: string; actorUserId: string });
      expect(exported.map((event) => [event.action, event.actorUserId])).toEqual([['review_case.approved', reviewer.id]]);
      await page.screenshot({ path: path.join(screenshotsDir, `audit-log-${language}.png`), fullPage: true });

      // Who downloaded the extract.
      await page.goto(`${baseUrl}/audit/access?object=${objectId}&kind=extract_download`);
      expect(await page.locator('[data-access-events] tbody tr').count()).toBe(1);
      expect(await page.textContent('[data-access-events] tbody')).toContain(staff.email);
      expect(await page.textContent('[data-access-events] tbody')).toContain(t('auditing.access.kinds.extract_download'));
    }, 240_000);
  });
}
