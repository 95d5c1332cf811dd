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

/** A text with {{name}} placeholders, split at them: text, name, text, name, …, text. */
type Template = readonly string[];

const PLACEHOLDER = /\{\{\s*([A-Za-z_]\w*)\s*\}\}/g;
/** Options that make i18next do more than put values in their places (plurals, contexts, other languages, nesting). */
const I18NEXT_OPTIONS = new Set(['count', 'context', 'ordinal', 'defaultValue', 'lng', 'lngs', 'ns', 'keyPrefix', 'returnObjects', 'returnDetails', 'joinArrays', 'postProcess', 'interpolation', 'replace', 'fallbackLng', 'nsSeparator', 'keySeparator', 'skipInterpolation']);

/**
 * The catalogue's text split at its placeholders, or null when i18next does more with it than
 * that: a key that is not a plain text (missing, a plural, an object), nesting ($t(…)), unescaped
 * or formatted placeholders ({{- x}}, {{x, format}}).
 */
export function compileTemplate(raw: unknown): Template | null {
  if (typeof raw !== 'string' || raw.includes('$t(')) return null;
  const parts = raw.split(PLACEHOLDER);
  // What is left between the placeholders must hold no other {{ }}.
  for (let index = 0; index < parts.length; index += 2) if (parts[index]!.includes('{{')) return null;
  return parts;
}

/** The template filled in, as i18next would (escapeValue is off: the views escape), or null when i18next must do it. */
export function fillTemplate(template: Template, options: Record<string, unknown>): string | null {
  for (const name of Object.keys(options)) if (I18NEXT_OPTIONS.has(name)) return null;
  let text = template[0]!;
  for (let index = 1; index < template.length; index += 2) {
    const value = options[template[index]!];
    if (typeof value === 'string') text += value;
    else if (typeof value === 'number') text += String(value);
    else return null;
    text += template[index + 1]!;
  }
  return text;
}

/**
 * The translate function of a language. The catalogues are fixed at start-up, so a key asked
 * without options always gives the same text: those answers are remembered (a page asks for
 * hundreds of them). A key asked with values for its placeholders is filled in from its text,
 * split once; anything more (plurals, nesting, formats, values that are not text or numbers) goes
 * to i18next. A registry page fills two texts on each of its rows, and i18next's interpolation was
 * a tenth of the page's time in the profile.
 */
export function translator(language: Language): TFunction {
  const known = translators.get(language);
  if (known) return known;
  const fixed = i18n.getFixedT(language);
  const i18nextT = fixed as unknown as (...args: unknown[]) => string;
  const texts = new Map<string, string>();
  const templates = new Map<string, Template | null>();
  const memo = ((key: string | string[], ...rest: unknown[]) => {
    if (typeof key !== 'string') return i18nextT(key, ...rest);
    if (rest.length > 0) {
      const [options] = rest;
      if (rest.length === 1 && options !== null && typeof options === 'object' && !Array.isArray(options)) {
        let template = templates.get(key);
        if (template === undefined) {
          template = compileTemplate(i18n.getResource(language, 'translation', key));
          templates.set(key, template);
        }
        const filled = template ? fillTemplate(template, options as Record<string, unknown>) : null;
        if (filled !== null) return filled;
      }
      return i18nextT(key, ...rest);
    }
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

/** i18next's own translate function of a language, without the shortcuts above (for comparing with them). */
export function i18nextTranslator(language: Language): TFunction {
  return i18n.getFixedT(language);
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
