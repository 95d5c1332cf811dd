import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeValidBin } from '../../src/modules/organizations/bin-iin.ts';
import { translator } from '../../src/web/i18n.ts';
import { documentsDir } from '../support/documents.ts';
import { createOrganization, createUser } from '../support/auth.ts';
import { placeDocument, screenshotsDir, signInThroughPages } from '../support/browser.ts';
import type { TestDatabase } from '../support/database.ts';
import { type RunningPortal, startPortalForBrowser } from '../support/portal.ts';

const t = translator('kk');

let database: TestDatabase;
let portal: RunningPortal;
let browser: Browser;
let baseUrl: string;

function validBin(serial: number): string {
  for (let s = serial; ; s += 1) {
    const bin = makeValidBin(`990340${String(s).padStart(5, '0')}`);
    if (bin) return bin;
  }
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ locale: 'kk-KZ', viewport: { width: 1280, height: 1000 } });
  await context.addCookies([{ name: 'lang', value: 'kk', url: baseUrl }]);
  return context.newPage();
}

/** The shared upload step, and what the person sees after it: the notice and both files accepted, in Kazakh. */
async function placeAndSee(page: Page, objectUrl: string, kind: string, pdf: string, docx: string): Promise<void> {
  await placeDocument(page, objectUrl, kind, pdf, docx);
  expect(await page.textContent('.flash')).toBe(t('documents.flash.uploaded'));
  expect(await page.textContent(`tr[data-document-kind="${kind}"] [data-slot="pdf"] [data-document-file]`)).toBe(t('documents.statuses.accepted'));
  expect(await page.textContent(`tr[data-document-kind="${kind}"] [data-slot="docx"]`)).toContain(t('documents.statuses.accepted'));
}

async function recordMove(page: Page, move: string, occurredOn: string, state: string): Promise<void> {
  await page.selectOption('[name="move"]', move);
  await page.fill('[name="occurredOn"]', occurredOn);
  await page.click('#move-form button[type="submit"]');
  await page.waitForLoadState();
  expect(await page.locator('[data-error-summary]').count()).toBe(0);
  expect(await page.getAttribute('[data-state]', 'data-state')).toBe(state);
}

beforeAll(async () => {
  portal = await startPortalForBrowser();
  ({ database, browser, baseUrl } = portal);
});
afterAll(async () => {
  await portal?.stop();
});

describe('registering an object in Kazakh', () => {
  it('staff register an object, are refused a move naming the missing document, place the documents, move it through creation to operation and see warranty and duty dates; other staff cannot open it', async () => {
    const organization = await createOrganization(database.db, { bin: validBin(81000) });
    const otherOrganization = await createOrganization(database.db, { bin: validBin(82000) });
    const staff = await createUser(database.db, 'staff', { organizationId: organization });
    const otherStaff = await createUser(database.db, 'staff', { organizationId: otherOrganization });

    // 1. The passport form, in Kazakh, with a second responsible person added on the page.
    const page = await newPage();
    await signInThroughPages(page, baseUrl, staff);
    await page.goto(`${baseUrl}/objects/new`);
    expect(await page.getAttribute('html', 'lang')).toBe('kk');
    expect(await page.textContent('h1')).toBe(t('objects.form.new_title'));
    await page.selectOption('[name="passport.kind"]', 'ict_infrastructure');
    await page.selectOption('[name="passport.infrastructure_subkind"]', 'information_system');
    await page.selectOption('[name="passport.class"]', '2');
    await page.fill('[name="passport.name.full.kk"]', 'Жер кадастрының ақпараттық жүйесі');
    await page.fill('[name="passport.name.full.ru"]', 'Информационная система земельного кадастра');
    await page.fill('[name="passport.name.short.kk"]', 'ЖК АЖ');
    await page.fill('[name="passport.purpose.kk"]', 'Жер учаскелері туралы мәліметтерді есепке алу');
    await page.fill('[name="passport.purpose.ru"]', 'Учет сведений о земельных участках');
    await page.selectOption('[name="passport.placement.type"]', 'egov_ict_platform');
    await page.selectOption('[name="passport.funding"]', 'state_investment_project');
    await page.fill('[name="passport.contacts.0.full_name"]', 'Сәрсенбаева Әйгерім Қайратқызы');
    await page.fill('[name="passport.contacts.0.position"]', 'Бас маман');
    await page.fill('[name="passport.contacts.0.phone"]', '8 701 555 12 34');
    await page.fill('[name="passport.contacts.0.email"]', 'a.sarsenbayeva@gov.example.kz');
    await page.click('button[name="add"][value="contacts"]');
    expect(await page.inputValue('[name="passport.contacts.0.full_name"]')).toBe('Сәрсенбаева Әйгерім Қайратқызы');
    expect(await page.inputValue('[name="passport.name.full.kk"]')).toBe('Жер кадастрының ақпараттық жүйесі');
    await page.fill('[name="passport.contacts.1.full_name"]', 'Омаров Ерлан');
    await page.fill('[name="passport.contacts.1.position"]', 'Басқарма басшысы');
    await page.fill('[name="passport.contacts.1.phone"]', '+7 7172 74 00 00');
    await page.fill('[name="passport.contacts.1.email"]', 'e.omarov@gov.example.kz');
    await page.fill('[name="informationChangedOn"]', '2026-03-20');
    await page.screenshot({ path: path.join(screenshotsDir, 'object-form-kk.png'), fullPage: true });
    await page.click('form[action="/objects"] > button.button[name="action"][value="save"]');
    await page.waitForURL(/\/objects\/[0-9a-f-]{36}$/);
    const objectUrl = page.url();

    // 2. The object page: its duty with the due day, and the documents required at its stage.
    expect(await page.textContent('h1')).toBe('Жер кадастрының ақпараттық жүйесі');
    expect(await page.textContent('.flash')).toBe(t('objects.flash.created'));
    const duties = await page.textContent('#duties');
    expect(duties).toContain(t('objects.duties.source_information_changed'));
    expect(await page.getAttribute('#duties td[data-due-on]', 'data-due-on')).toBe('2026-04-08');
    const documents = page.locator('#documents tr[data-document="technical_specification"]');
    expect(await documents.textContent()).toContain(t('objects.document_kinds.technical_specification'));
    expect(await documents.textContent()).toContain(t('objects.document_statuses.not_placed'));
    expect(await page.textContent('#passport')).toContain(t('objects.subkinds.information_system'));

    // 3. A move without its document: refused, naming the document, the choice kept.
    await page.selectOption('[name="move"]', 'complete_development_work');
    await page.fill('[name="occurredOn"]', '2026-04-01');
    await page.click('#move-form button[type="submit"]');
    await page.waitForLoadState();
    const summary = await page.textContent('[data-error-summary]');
    expect(summary).toContain(t('objects.refusals.document_missing', { document: t('objects.document_kinds.technical_specification') }));
    expect(await page.inputValue('[name="occurredOn"]')).toBe('2026-04-01');
    expect(await page.getAttribute('[data-state]', 'data-state')).toBe('creation/development_work');
    await page.screenshot({ path: path.join(screenshotsDir, 'object-move-refused-kk.png'), fullPage: true });

    // 4. The documents each step needs, placed through the upload page, then the moves through creation to operation.
    // A refused pair comes back as the form with the reason, in Kazakh; the "could not send" line stays hidden.
    await page.goto(`${objectUrl}/documents/new?kind=technical_specification`);
    await page.setInputFiles('#field-pdf', path.join(documentsDir, 'good/tz.pdfa1.pdf'));
    await page.setInputFiles('#field-docx', path.join(documentsDir, 'bad/legacy-word-97.doc'));
    await page.click('form[data-upload-form] button[type="submit"]');
    await page.waitForSelector('[data-error-summary]');
    expect(await page.textContent('[data-error-summary]')).toContain(t('documents.reasons.docx_legacy_doc'));
    expect(await page.isVisible('[data-upload-failed]')).toBe(false);
    expect(await page.isVisible('[data-upload-progress]')).toBe(false);
    await page.screenshot({ path: path.join(screenshotsDir, 'object-upload-refused-kk.png'), fullPage: true });
    await placeAndSee(page, objectUrl, 'technical_specification', 'good/tz.pdfa1.pdf', 'good/tz.docx');
    await page.screenshot({ path: path.join(screenshotsDir, 'object-documents-kk.png'), fullPage: true });
    await recordMove(page, 'complete_development_work', '2026-04-01', 'creation/pilot_operation');
    await placeAndSee(page, objectUrl, 'pilot_completion_act', 'good/akt-oe.pdfa1.pdf', 'good/akt-oe.docx');
    await recordMove(page, 'complete_pilot_operation', '2026-04-10', 'creation/security_testing');
    await placeAndSee(page, objectUrl, 'security_test_protocol', 'good/akt-oe.pdfa1.pdf', 'good/akt-oe.docx');
    await recordMove(page, 'complete_security_testing', '2026-04-15', 'creation/implementation');
    await recordMove(page, 'complete_implementation', '2026-04-20', 'creation/commissioning');
    await placeAndSee(page, objectUrl, 'commissioning_act', 'good/akt-vvod-kk.pdfa1.pdf', 'good/akt-vvod-kk.docx');
    await recordMove(page, 'commission', '2026-04-27', 'industrial_operation');
    // The warranty runs 12 months from commissioning (004 §16.9); each move opened an update duty with its due day.
    expect(await page.textContent('[data-warranty]')).toContain('2027');
    expect(await page.textContent('[data-warranty]')).not.toContain(t('objects.detail.warranty_none'));
    const dueDays = await page.locator('#duties td[data-due-on]').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-due-on')));
    // Commissioned on Monday 27 April 2026: ten working days later, past the 1, 7 and 11 May days off.
    expect(dueDays).toContain('2026-05-14');
    await page.screenshot({ path: path.join(screenshotsDir, 'object-in-operation-kk.png'), fullPage: true });

    // 5. The organization's duties, with the one the save fulfilled (late: the change was in March).
    await page.goto(`${baseUrl}/duties?status=all`);
    const row = page.locator('tr[data-status="fulfilled"]').filter({ hasText: 'Жер кадастрының ақпараттық жүйесі' });
    expect(await row.textContent()).toContain(t('objects.duties.status_fulfilled_late'));
    await page.screenshot({ path: path.join(screenshotsDir, 'object-duties-kk.png'), fullPage: true });

    // The home page shows the organization's duties panel.
    await page.goto(`${baseUrl}/`);
    const panel = page.locator('[data-home-duties]');
    expect(await panel.locator('h2').textContent()).toBe(t('objects.home.title_organization'));
    expect(await panel.locator('a[href="/duties"]').count()).toBe(1);
    await page.context().close();

    // 6. Staff of another organization are told there is no such page.
    const other = await newPage();
    await signInThroughPages(other, baseUrl, otherStaff);
    const response = await other.goto(objectUrl);
    expect(response?.status()).toBe(404);
    expect(await other.textContent('h1')).toBe(t('errors.NOT_FOUND.title'));
    await other.context().close();
  }, 240_000);
});
