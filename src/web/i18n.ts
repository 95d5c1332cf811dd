import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type TFunction } from 'i18next';
import { type Language, LANGUAGES } from '../config.ts';

export type { TFunction };

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Translation files: the shared ones in src/web/locales/, and each module's own in
 * src/modules/<module>/locales/, so a module's strings live beside its code. Each file owns its
 * top-level keys; two files claiming the same key is an error, not a silent override.
 */
export function catalogFiles(language: Language): string[] {
  const modulesDir = path.join(srcDir, 'modules');
  const moduleFiles = readdirSync(modulesDir)
    .sort()
    .map((module) => path.join(modulesDir, module, 'locales', `${language}.json`))
    .filter((file) => existsSync(file));
  return [path.join(srcDir, 'web', 'locales', `${language}.json`), ...moduleFiles];
}

export function loadCatalog(language: Language): Record<string, unknown> {
  const catalog: Record<string, unknown> = {};
  for (const file of catalogFiles(language)) {
    const part = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const [key, value] of Object.entries(part)) {
      if (Object.hasOwn(catalog, key)) throw new Error(`translation key "${key}" is defined twice (again in ${file})`);
      catalog[key] = value;
    }
  }
  return catalog;
}

const i18n = i18next.createInstance();
await i18n.init({
  resources: Object.fromEntries(LANGUAGES.map((language) => [language, { translation: loadCatalog(language) }])),
  lng: 'kk',
  // A missing key must be visible in tests, not papered over by another language.
  fallbackLng: false,
  returnNull: false,
  interpolation: { escapeValue: false },
  initAsync: false,
});

const translators = new Map<Language, TFunction>();

/**
 * The translate function of a language. The catalogues are fixed at start-up, so a key asked
 * without options always gives the same text: those answers are remembered (a page asks for
 * hundreds of them); calls with options go to i18next each time.
 */
export function translator(language: Language): TFunction {
  const known = translators.get(language);
  if (known) return known;
  const fixed = i18n.getFixedT(language);
  const texts = new Map<string, string>();
  const memo = ((key: string | string[], ...rest: unknown[]) => {
    if (rest.length > 0 || typeof key !== 'string') return (fixed as unknown as (...args: unknown[]) => string)(key, ...rest);
    let text = texts.get(key);
    if (text === undefined) {
      text = fixed(key);
      texts.set(key, text);
    }
    return text;
  }) as unknown as TFunction;
  translators.set(language, memo);
  return memo;
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * The language for a request: an explicit choice (cookie) wins, then the browser's
 * Accept-Language preferences in order of quality, then the configured default.
 */
export function negotiateLanguage(cookieValue: string | undefined, acceptLanguage: string | undefined, fallback: Language): Language {
  if (isLanguage(cookieValue)) return cookieValue;
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part, index) => {
        const [tag = '', ...params] = part.trim().split(';');
        const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
        return { tag: tag.toLowerCase(), quality: q ? Number(q.slice(2)) : 1, index };
      })
      .filter((entry) => entry.tag && Number.isFinite(entry.quality) && entry.quality > 0)
      .sort((a, b) => b.quality - a.quality || a.index - b.index);
    for (const { tag } of ranked) {
      const primary = tag.split('-')[0];
      if (isLanguage(primary)) return primary;
    }
  }
  return fallback;
}

/** BCP 47 tags for the lang attribute and Intl formatting. */
export const LOCALE_TAGS: Record<Language, string> = { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-GB' };

// Building a DateTimeFormat costs far more than using one; pages format dozens of dates.
const dateTimeFormats = new Map<Language, Intl.DateTimeFormat>();

export function formatDateTime(language: Language, value: Date): string {
  let format = dateTimeFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALE_TAGS[language], { dateStyle: 'long', timeStyle: 'short', timeZone: 'Asia/Almaty' });
    dateTimeFormats.set(language, format);
  }
  return format.format(value);
}

const numberFormats = new Map<Language, Intl.NumberFormat>();

export function numberFormatOf(language: Language): Intl.NumberFormat {
  let format = numberFormats.get(language);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE_TAGS[language]);
    numberFormats.set(language, format);
  }
  return format;
}

const dayFormats = new Map<Language, Intl.DateTimeFormat>();

/** A calendar day ('YYYY-MM-DD') written out in the language, e.g. "20 наурыз 2026 ж.". */
export function dayFormat(language: Language): Intl.DateTimeFormat {
  let format = dayFormats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALE_TAGS[language], { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
    dayFormats.set(language, format);
  }
  return format;
}
