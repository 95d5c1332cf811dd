import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAlmatyDate } from '../../src/modules/calendar/working-days.ts';
import { translator } from '../../src/web/i18n.ts';
import { createOrganization, createUser } from '../support/auth.ts';
import { placeDocument, screenshotsDir, signInThroughPages } from '../support/browser.ts';
import type { TestDatabase } from '../support/database.ts';
import { type RunningPortal, startPortalForBrowser } from '../support/portal.ts';
import { samplePassport } from '../support/objects.ts';
import { decodeQrFromPdf } from '../support/qr.ts';

const t = translator('ru');
const OWNER_BIN = '990340001230';

let database: TestDatabase;
let portal: RunningPortal;
let browser: Browser;
let baseUrl: string;

async function context(): Promise<BrowserContext> {
  const created = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  await created.addCookies([{ name: 'lang', value: 'ru', url: baseUrl }]);
  return created;
}

beforeAll(async () => {
  portal = await startPortalForBrowser();
  ({ database, browser, baseUrl } = portal);
});
afterAll(async () => {
  await portal?.stop();
});

describe('review by the service integrator, in Russian', () => {
  it('staff submit → the reviewer returns with comments on a field and a document → staff fix both and resubmit → approved; the extract\'s QR code verifies publicly, a wrong BIN does not', async () => {
    const organization = await createOrganization(database.db, { bin: OWNER_BIN, name_kk: 'Цифрлық даму министрлігі', name_ru: 'Министерство цифрового развития' });
    const staff = await createUser(database.db, 'staff', { organizationId: organization });
    const reviewer = await createUser(database.db, 'reviewer', { organizationId: null });

    // 1. Staff: the object (registered through the API with the page's session) and its document, placed through the page.
    const staffContext = await context();
    const staffPage = await staffContext.newPage();
    await signInThroughPages(staffPage, baseUrl, staff);
    const session = await (await staffPage.request.get(`${baseUrl}/api/session`)).json();
    const created = await staffPage.request.post(`${baseUrl}/api/objects`, {
      headers: { 'x-csrf-token': session.csrfToken },
      data: { passport: samplePassport('Электронный реестр разрешений'), informationChangedOn: toAlmatyDate(new Date()) },
    });
    expect(created.status()).toBe(201);
    const objectUrl = `${baseUrl}/objects/${(await created.json()).id}`;
    await staffPage.goto(objectUrl);
    expect(await staffPage.locator('[data-gap="document:technical_specification"]').count()).toBe(1);
    await placeDocument(staffPage, objectUrl, 'technical_specification', 'good/tz.pdfa1.pdf', 'good/tz.docx');
    await staffPage.reload();
    await staffPage.click('[data-submit-for-review]');
    await staffPage.waitForURL(/#review$/);
    expect(await staffPage.textContent('.flash')).toBe(t('reviews.flash.submitted'));
    expect(await staffPage.getAttribute('[data-review-status]', 'data-review-status')).toBe('submitted');

    // 2. The reviewer: the queue, the case; a comment on a field and one on the document; returned.
    const reviewerContext = await context();
    const reviewerPage = await reviewerContext.newPage();
    await signInThroughPages(reviewerPage, baseUrl, reviewer);
    await reviewerPage.goto(`${baseUrl}/review/cases`);
    await reviewerPage.click('tr[data-case] a');
    await reviewerPage.click('[data-take]');
    await reviewerPage.selectOption('#comment-form [name="target"]', 'field:purpose.ru');
    await reviewerPage.fill('#comment-form [name="body"]', 'Назначение описано слишком общо');
    await reviewerPage.click('#comment-form button[type="submit"]');
    await reviewerPage.selectOption('#comment-form [name="target"]', 'document:technical_specification');
    await reviewerPage.fill('#comment-form [name="body"]', 'Приложите подписанную редакцию ТЗ');
    await reviewerPage.click('#comment-form button[type="submit"]');
    expect(await reviewerPage.locator('[data-all-comments] li').count()).toBe(2);
    await reviewerPage.screenshot({ path: path.join(screenshotsDir, 'review-case-ru.png'), fullPage: true });
    await reviewerPage.click('[data-return]');
    await reviewerPage.waitForLoadState();
    expect(await reviewerPage.getAttribute('[data-case-status]', 'data-case-status')).toBe('returned');

    // 3. Staff see each comment next to what it concerns, fix both, and submit again.
    await staffPage.goto(objectUrl);
    expect(await staffPage.textContent('[data-field="purpose.ru"] [data-review-comments]')).toContain('Назначение описано слишком общо');
    expect(await staffPage.textContent('tr[data-document-kind="technical_specification"] [data-review-comments]')).toContain('Приложите подписанную редакцию ТЗ');
    await staffPage.screenshot({ path: path.join(screenshotsDir, 'review-returned-ru.png'), fullPage: true });
    await staffPage.goto(`${objectUrl}/edit`);
    await staffPage.fill('[name="passport.purpose.ru"]', 'Учёт и выдача разрешений на строительство в электронной форме');
    await staffPage.click('form > button.button[name="action"][value="save"]');
    await staffPage.waitForURL((url) => url.pathname === new URL(objectUrl).pathname);
    await placeDocument(staffPage, objectUrl, 'technical_specification', 'good/akt-oe.pdfa1.pdf', 'good/akt-oe.docx');
    await staffPage.reload();
    await staffPage.click('[data-submit-for-review]');
    await staffPage.waitForURL(/#review$/);
    expect(await staffPage.getAttribute('[data-review-status]', 'data-review-status')).toBe('submitted');

    // 4. The reviewer approves the new case: what was submitted, frozen.
    await reviewerPage.goto(`${baseUrl}/review/cases?filter=open`);
    await reviewerPage.click('tr[data-case] a');
    expect(await reviewerPage.textContent('[data-field="purpose.ru"]')).toContain('Учёт и выдача разрешений');
    await reviewerPage.click('[data-approve]');
    await reviewerPage.waitForLoadState();
    expect(await reviewerPage.getAttribute('[data-case-status]', 'data-case-status')).toBe('approved');
    const accountCode = (await reviewerPage.textContent('[data-account-code]'))!.trim();
    expect(accountCode).toMatch(/^AP-\d{4}-\d{6}-\d{2}$/);

    // 5. Staff download the extract; its QR code's link verifies publicly; a wrong BIN does not.
    await staffPage.goto(objectUrl);
    // The extract's PDF is rendered by its job after the approval commits: until then the page says it is being prepared.
    for (let tries = 0; !(await staffPage.$('a[data-extract]')) && tries < 60; tries += 1) {
      await staffPage.waitForTimeout(500);
      await staffPage.reload();
    }
    expect((await staffPage.textContent('[data-account-code]'))!.trim()).toBe(accountCode);
    const [download] = await Promise.all([staffPage.waitForEvent('download'), staffPage.click('[data-extract]')]);
    const pdf = readFileSync((await download.path())!);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const link = decodeQrFromPdf(pdf);
    expect(link).toMatch(/\/verify\?number=EXT-/);

    const visitor = await (await context()).newPage();
    await visitor.goto(link!.replace(/^https?:\/\/[^/]+/, baseUrl));
    const verified = visitor.locator('[data-verified]');
    expect(await verified.count()).toBe(1);
    expect(await verified.locator('[data-account-code]').textContent()).toBe(accountCode);
    expect(await verified.locator('[data-approved-by]').textContent()).toBe('Тестов Тест');
    await visitor.screenshot({ path: path.join(screenshotsDir, 'verify-ru.png'), fullPage: true });
    await visitor.fill('[name="bin"]', '990340004562');
    await visitor.click('form[action="/verify"] button[type="submit"]');
    await visitor.waitForLoadState();
    expect(await visitor.locator('[data-verified]').count()).toBe(0);
    expect(await visitor.textContent('[data-not-verified]')).toContain(t('reviews.verify.not_found'));
    await visitor.context().close();
    await staffContext.close();
    await reviewerContext.close();
  }, 240_000);
});
