/**
 * A signed submission through the pages, in Kazakh and in Russian: the staff member's object page
 * fetches the manifest, NCALayer (the stand-in, over wss:// on NCALayer's own address
 * 127.0.0.1:13579, reached by ncalayer-js-client served from /static/vendor/) signs it with the
 * employee's SIGN key, the form carries the CMS, and the reviewer's case page names the signer.
 * The portal runs with the test PKI as its trust store, so an unsigned submission is refused.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAlmatyDate } from '../../src/modules/calendar/working-days.ts';
import { translator } from '../../src/web/i18n.ts';
import { createOrganization, createUser } from '../support/auth.ts';
import { placeDocument, signInThroughPages } from '../support/browser.ts';
import type { TestDatabase } from '../support/database.ts';
import { startNcaLayerStandin, type NcaLayerStandin } from '../support/ncalayer-standin.ts';
import { samplePassport } from '../support/objects.ts';
import { type RunningPortal, startPortalForBrowser } from '../support/portal.ts';
import { createTestPki, TEST_PKI_PASSWORD, type TestPki } from '../support/test-pki.ts';

/** The BIN on the test PKI's employee certificates. */
const OWNER_BIN = '123456789021';

let pki: TestPki;
let standin: NcaLayerStandin;
let database: TestDatabase;
let portal: RunningPortal;
let browser: Browser;
let baseUrl: string;
let organization: string;

async function context(lang: 'kk' | 'ru'): Promise<BrowserContext> {
  const created = await browser.newContext({ locale: lang === 'kk' ? 'kk-KZ' : 'ru-RU', viewport: { width: 1280, height: 1000 }, ignoreHTTPSErrors: true });
  await created.addCookies([{ name: 'lang', value: lang, url: baseUrl }]);
  return created;
}

beforeAll(async () => {
  pki = await createTestPki();
  // The AUTH key too: the page must ask for a SIGN key of an organization's employee, and get it.
  standin = await startNcaLayerStandin({ keys: [pki.keys.employeeAuth, pki.keys.employeeSign].map((key) => ({ p12Path: key.p12Path, password: TEST_PKI_PASSWORD })), tls: true, port: 13579 });
  portal = await startPortalForBrowser({ env: { PKI_TRUST_DIR: pki.trustDir }, browserArgs: ['--ignore-certificate-errors'] });
  ({ database, browser, baseUrl } = portal);
  organization = await createOrganization(database.db, { bin: OWNER_BIN, name_kk: 'Сынақ ұйымы', name_ru: 'Тестовая организация' });
}, 180_000);
afterAll(async () => {
  await portal?.stop();
  await standin?.close();
  await pki?.close();
});

for (const lang of ['kk', 'ru'] as const) {
  describe(`a signed submission, in ${lang === 'kk' ? 'Kazakh' : 'Russian'}`, () => {
    it(`staff sign the submission through NCALayer and the reviewer's case page shows the signer (${lang})`, async () => {
      const t = translator(lang);
      const staff = await createUser(database.db, 'staff', { organizationId: organization });
      const reviewer = await createUser(database.db, 'reviewer', { organizationId: null });
      const staffContext = await context(lang);
      const staffPage = await staffContext.newPage();
      await signInThroughPages(staffPage, baseUrl, staff);
      const session = await (await staffPage.request.get(`${baseUrl}/api/session`)).json();
      const created = await staffPage.request.post(`${baseUrl}/api/objects`, {
        headers: { 'x-csrf-token': session.csrfToken },
        data: { passport: samplePassport(`Қол қойылған жүйе ${lang}`), informationChangedOn: toAlmatyDate(new Date()) },
      });
      expect(created.status()).toBe(201);
      const objectUrl = `${baseUrl}/objects/${(await created.json()).id}`;
      await placeDocument(staffPage, objectUrl, 'technical_specification', 'good/tz.pdfa1.pdf', 'good/tz.docx');
      await staffPage.reload();
      expect(await staffPage.textContent('[data-submit-for-review]')).toBe(t('reviews.object.sign_submit'));
      const signed = standin.requests.length;
      const problems: string[] = [];
      staffPage.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
      staffPage.on('pageerror', (error) => problems.push(error.message));
      await staffPage.click('[data-submit-for-review]');
      await staffPage.waitForURL(/#review$/, { timeout: 20_000 }).catch(async () => {
        throw new Error(`not submitted: ${await staffPage.textContent('[data-sign-status]')} ${problems.join('; ')}`);
      });
      expect(await staffPage.textContent('.flash')).toBe(t('reviews.flash.submitted'));
      expect(await staffPage.getAttribute('[data-review-status]', 'data-review-status')).toBe('submitted');
      // NCALayer was asked for a SIGN key of a legal entity's employee (emailProtection + 1.2.398.3.3.4.1.2).
      const signRequest = standin.requests.slice(signed).find((request) => request.module === 'kz.gov.pki.knca.basics');
      expect(JSON.stringify(signRequest)).toContain('1.2.398.3.3.4.1.2');

      const reviewerContext = await context(lang);
      const reviewerPage = await reviewerContext.newPage();
      await signInThroughPages(reviewerPage, baseUrl, reviewer);
      const caseRow = await database.db.selectFrom('review_cases').select('id').where('object_id', '=', new URL(objectUrl).pathname.split('/')[2]!).executeTakeFirstOrThrow();
      await reviewerPage.goto(`${baseUrl}/review/cases/${caseRow.id}`);
      expect(await reviewerPage.getAttribute('[data-submission-signature]', 'data-submission-signature')).toBe('signed');
      expect(await reviewerPage.textContent('[data-signer-name]')).toBe('СОТРУДНИКОВА АЙГУЛЬ');
      expect(await reviewerPage.textContent('[data-signer-iin]')).toBe(pki.keys.employeeSign.iin);
      expect(await reviewerPage.textContent('[data-signer-bin]')).toBe(OWNER_BIN);
      expect(await reviewerPage.getAttribute('[data-certificate-status]', 'data-certificate-status')).toBe('good');
      expect(await reviewerPage.textContent('#signatures-title')).toBe(t('reviews.case.signatures_title'));
      await staffContext.close();
      await reviewerContext.close();
    }, 240_000);
  });
}
