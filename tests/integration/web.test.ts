import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let database: TestDatabase;
let app: FastifyInstance;
beforeAll(async () => {
  database = await createTestDatabase();
  app = await buildTestApp(database);
});
afterAll(async () => {
  await app?.close();
  await database?.destroy();
});

describe('pages and languages', () => {
  it.each([
    ['kk', 'kk', 'Архитектуралық портал', 'Негізгі мазмұнға өту'],
    ['ru', 'ru', 'Архитектурный портал', 'Перейти к основному содержанию'],
    ['en', 'en', 'Architecture portal', 'Skip to main content'],
  ])('serves the home page in %s', async (cookie, lang, name, skip) => {
    const response = await app.inject({ url: '/', cookies: { lang: cookie } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain(`<html lang="${lang}">`);
    expect(response.body).toContain(name);
    expect(response.body).toContain(skip);
    expect(response.body).toContain('<main id="content"');
  });

  it('defaults to Kazakh, and follows Accept-Language when nothing was chosen', async () => {
    expect((await app.inject({ url: '/' })).body).toContain('<html lang="kk">');
    expect((await app.inject({ url: '/', headers: { 'accept-language': 'ru-RU,ru;q=0.9' } })).body).toContain('<html lang="ru">');
  });

  it('switches language with a cookie and returns to the same page, never elsewhere', async () => {
    const response = await app.inject({ url: '/language/ru?return=/some/page' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/some/page');
    const cookie = response.cookies.find((c) => c.name === 'lang');
    expect(cookie).toMatchObject({ value: 'ru', httpOnly: true, sameSite: 'Lax', path: '/' });
    const away = await app.inject({ url: '/language/kk?return=//evil.example' });
    expect(away.headers.location).toBe('/');
    expect((await app.inject({ url: '/language/de' })).statusCode).toBe(404);
  });

  it('answers an unknown page with a localized 404 page', async () => {
    const kk = await app.inject({ url: '/no/such/page', cookies: { lang: 'kk' } });
    expect(kk.statusCode).toBe(404);
    expect(kk.headers['content-type']).toContain('text/html');
    expect(kk.body).toContain('Бет табылмады');
    const ru = await app.inject({ url: '/no/such/page', cookies: { lang: 'ru' } });
    expect(ru.body).toContain('Страница не найдена');
  });

  it('answers the API with a stable JSON error code in the user language', async () => {
    const response = await app.inject({ url: '/api/no-such-thing', headers: { 'accept-language': 'ru' } });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining('По этому адресу'), details: null } });
  });

  it('sends security headers and a request id', async () => {
    const response = await app.inject({ url: '/' });
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the stylesheet', async () => {
    const response = await app.inject({ url: '/static/site.css' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/css');
  });
});

describe('health', () => {
  it('says the process is alive', async () => {
    const response = await app.inject({ url: '/healthz' });
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('is ready with the database migrated and the real veraPDF runnable', async () => {
    const response = await app.inject({ url: '/readyz' });
    const body = response.json();
    expect(body.checks.database.status).toBe('ok');
    expect(body.checks.migrations.status).toBe('ok');
    expect(body.checks.verapdf).toMatchObject({ status: 'ok', version: expect.stringMatching(/^1\.28\./) });
    expect(response.statusCode).toBe(200);
    expect(body.status).toBe('ready');
  });

  it('stays up but not ready when veraPDF is missing, and says so', async () => {
    const withoutVeraPdf = await buildTestApp(database, { VERAPDF_BIN: '/nonexistent/verapdf' });
    try {
      expect((await withoutVeraPdf.inject({ url: '/' })).statusCode).toBe(200);
      const response = await withoutVeraPdf.inject({ url: '/readyz' });
      expect(response.statusCode).toBe(503);
      const body = response.json();
      expect(body.status).toBe('not_ready');
      expect(body.checks.database.status).toBe('ok');
      expect(body.checks.verapdf.status).toBe('failing');
      expect(body.checks.verapdf.detail).toBeTruthy();
    } finally {
      await withoutVeraPdf.close();
    }
  });
});

describe('unexpected failures', () => {
  it('answers with a localized 500 page carrying a reference, and JSON for the API, and keeps serving', async () => {
    const { default: Fastify } = await import('fastify');
    const { default: portal } = await import('../../src/app.ts');
    const { buildServerOptions } = await import('../../src/server-options.ts');
    const { createVeraPdf } = await import('../../src/modules/documents/verapdf.ts');
    const { createAppDependencies } = await import('../../src/deps.ts');
    const { testConfig } = await import('../support/app.ts');
    const config = testConfig(database);
    const failing = Fastify(buildServerOptions(config));
    await failing.register(portal, createAppDependencies(config, database.db, { veraPdf: createVeraPdf({ bin: config.veraPdfBin, timeoutMs: 5000 }) }));
    // A route of this test only, failing the way a bug would.
    failing.get('/broken', { config: { access: 'public' } }, async () => {
      throw new Error('connection string postgres://secret@db leaked?');
    });
    failing.get('/api/broken', { config: { access: 'public' } }, async () => {
      throw new TypeError('undefined is not a function');
    });
    await failing.ready();
    try {
      const page = await failing.inject({ url: '/broken', cookies: { lang: 'ru' } });
      expect(page.statusCode).toBe(500);
      expect(page.body).toContain('Внутренняя ошибка');
      expect(page.body).toContain(`Номер обращения для службы поддержки: ${page.headers['x-request-id']}`);
      expect(page.body).not.toContain('postgres://');
      const api = await failing.inject({ url: '/api/broken', headers: { 'accept-language': 'kk' } });
      expect(api.statusCode).toBe(500);
      expect(api.json()).toEqual({ error: { code: 'INTERNAL', message: expect.stringContaining('Күтпеген қате'), details: null } });
      expect((await failing.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await failing.close();
    }
  });
});
