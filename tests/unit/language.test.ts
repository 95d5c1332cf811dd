import { describe, expect, it } from 'vitest';
import { negotiateLanguage, translator } from '../../src/web/i18n.ts';
import { safeReturnPath } from '../../src/web/return-path.ts';

describe('language negotiation', () => {
  it('prefers the chosen language (cookie) over the browser', () => {
    expect(negotiateLanguage('ru', 'kk-KZ,kk;q=0.9', 'kk')).toBe('ru');
  });
  it('follows Accept-Language by quality, then order', () => {
    expect(negotiateLanguage(undefined, 'de-DE,de;q=0.9,ru;q=0.8,kk;q=0.7', 'kk')).toBe('ru');
    expect(negotiateLanguage(undefined, 'en;q=0.5, kk;q=0.6', 'ru')).toBe('kk');
    expect(negotiateLanguage(undefined, 'ru-KZ', 'kk')).toBe('ru');
  });
  it('ignores an unknown cookie, q=0 and garbage, and falls back to the default', () => {
    expect(negotiateLanguage('fr', undefined, 'kk')).toBe('kk');
    expect(negotiateLanguage(undefined, 'ru;q=0', 'kk')).toBe('kk');
    expect(negotiateLanguage(undefined, ';;,,q=', 'ru')).toBe('ru');
  });
  it('translates with interpolation in each language', () => {
    expect(translator('ru')('home.step_review', { days: 5 })).toContain('5 рабочих дней');
    expect(translator('kk')('home.step_review', { days: 5 })).toContain('5 жұмыс күні');
    expect(translator('en')('home.step_review', { days: 5 })).toContain('5 working days');
  });
});

describe('language switch return path', () => {
  it.each([
    ['/registry?page=2', '/registry?page=2'],
    ['/', '/'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example', '/'],
    [undefined, '/'],
  ])('%s → %s', (input, expected) => {
    expect(safeReturnPath(input)).toBe(expected);
  });
});

describe('request paths in the log', () => {
  it('drops the query string and hides single-use tokens', async () => {
    const { redactPath } = await import('../../src/server-options.ts');
    expect(redactPath('/sign-in?return=/account&email=a@b.kz')).toBe('/sign-in');
    expect(redactPath('/activate/H1lQ5MJMH2lzsUjwJFXI7m02O-VKxCrEccBHtIYQcF8')).toBe('/activate/[redacted]');
    expect(redactPath('/password/reset/H1lQ5MJMH2lzsUjwJFXI7m02O-VKxCrEccBHtIYQcF8?x=1')).toBe('/password/reset/[redacted]');
    expect(redactPath('/review/account-requests/0b6f6d2e-8d4f-4c1e-9d6a-2f1c3b4a5e6f')).toBe('/review/account-requests/0b6f6d2e-8d4f-4c1e-9d6a-2f1c3b4a5e6f');
  });
});
