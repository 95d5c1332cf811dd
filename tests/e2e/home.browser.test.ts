import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/app.ts';
import { launchBrowser, screenshotsDir } from '../support/browser.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let app: FastifyInstance;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  database = await createTestDatabase();
  app = await buildTestApp(database);
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await database?.destroy();
});

describe('home page in a real browser', () => {
  it('opens in Kazakh, switches to Russian with the language switcher and keeps the choice', async () => {
    const context = await browser.newContext({ locale: 'kk-KZ', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('kk');
    expect(await page.locator('h1').innerText()).toBe('«Электрондық үкіметтің» архитектуралық порталы');
    await page.screenshot({ path: path.join(screenshotsDir, 'home-kk.png'), fullPage: true });

    await page.getByRole('link', { name: 'Русский' }).click();
    await page.waitForURL(`${baseUrl}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('ru');
    expect(await page.locator('h1').innerText()).toBe('Архитектурный портал «электронного правительства»');
    await page.screenshot({ path: path.join(screenshotsDir, 'home-ru.png'), fullPage: true });

    await page.goto(`${baseUrl}/`);
    expect(await page.getAttribute('html', 'lang')).toBe('ru');
    await context.close();
  });

  it('lets a keyboard user skip to the main content first', async () => {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    await page.keyboard.press('Tab');
    const focused = page.locator(':focus');
    expect(await focused.innerText()).toBe('Перейти к основному содержанию');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('content');
    await context.close();
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const context = await browser.newContext({ locale: 'kk-KZ', viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(screenshotsDir, 'home-kk-phone.png'), fullPage: true });
    await context.close();
  });

  it('shows a localized not-found page', async () => {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    const response = await page.goto(`${baseUrl}/no-such-page`);
    expect(response?.status()).toBe(404);
    expect(await page.locator('h1').innerText()).toBe('Страница не найдена');
    await context.close();
  });
});

describe('forms in a real browser', () => {
  it('puts the keyboard focus on the error summary when a form comes back with errors', async () => {
    const context = await browser.newContext({ locale: 'ru-RU' });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/sign-in`);
    await page.click('form[action="/sign-in"] button[type="submit"]');
    await page.waitForSelector('[data-error-summary]');
    // The deferred script moves the focus once it has loaded; wait for that instead of racing it.
    const focused = await page
      .waitForFunction(() => document.activeElement?.hasAttribute('data-error-summary') === true, undefined, { timeout: 5000 })
      .then(() => true, () => false);
    expect(focused).toBe(true);
    await context.close();
  });
});
