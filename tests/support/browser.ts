import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { TEST_PASSWORD, totpCode } from './auth.ts';
import { documentsDir } from './documents.ts';
import { projectRoot } from './paths.ts';

export const screenshotsDir = path.join(projectRoot, 'test-results', 'screenshots');

/** Debian's Chromium, headless, with the flags this closed network needs (no background fetches). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  mkdirSync(screenshotsDir, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      ...extraArgs,
    ],
  });
}

/**
 * Places a document pair through the upload page (the page's script sends it and shows progress),
 * then waits on the object page, without reloading, for the PDF's check to say accepted.
 */
export async function placeDocument(page: Page, objectUrl: string, kind: string, pdf: string, docx: string): Promise<void> {
  await page.goto(`${objectUrl}/documents/new?kind=${kind}`);
  if ((await page.inputValue('[name="kind"]')) !== kind) throw new Error(`the upload page did not preselect ${kind}`);
  await page.setInputFiles('#field-pdf', path.join(documentsDir, pdf));
  await page.setInputFiles('#field-docx', path.join(documentsDir, docx));
  await page.click('form[data-upload-form] button[type="submit"]');
  await page.waitForURL((url) => url.pathname === new URL(objectUrl).pathname);
  await page.locator(`tr[data-document-kind="${kind}"] [data-slot="pdf"] [data-status="accepted"]`).waitFor({ timeout: 60_000 });
  await page.locator(`tr[data-document-kind="${kind}"] [data-slot="docx"] [data-status="accepted"]`).waitFor({ timeout: 5_000 });
}

/** Signs in through the pages of the portal at `baseUrl`; a user with a second factor types the current one-time code. */
export async function signInThroughPages(page: Page, baseUrl: string, user: { email: string; totpSecret?: string | null }, password = TEST_PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.fill('[name="email"]', user.email);
  await page.fill('[name="password"]', password);
  await page.click('form[action="/sign-in"] button[type="submit"]');
  if (user.totpSecret) {
    await page.waitForURL(/\/sign-in\/second-factor/);
    await page.fill('[name="code"]', totpCode(user.totpSecret));
    await page.click('main form button[type="submit"]');
  }
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
}
