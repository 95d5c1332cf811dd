import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../src/config.ts';
import { ERROR_STATUS } from '../../src/errors.ts';
import { compileTemplate, fillTemplate, i18nextTranslator, loadCatalog, translator } from '../../src/web/i18n.ts';
import { projectRoot } from '../support/paths.ts';

function flatten(value: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof child === 'string') out.set(name, child);
    else for (const [k, v] of flatten(child, name)) out.set(k, v);
  }
  return out;
}

function templates(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return templates(full);
    return entry.endsWith('.eta') ? [full] : [];
  });
}

const catalogs = Object.fromEntries(LANGUAGES.map((language) => [language, flatten(loadCatalog(language))]));
const allKeys = new Set(LANGUAGES.flatMap((language) => [...catalogs[language]!.keys()]));
const placeholders = (text: string) => [...text.matchAll(/{{\s*(\w+)\s*}}/g)].map((m) => m[1]).sort();

describe('translations', () => {
  it.each(LANGUAGES)('%s has every key that any language has, none empty', (language) => {
    const catalog = catalogs[language]!;
    const missing = [...allKeys].filter((key) => !catalog.has(key));
    expect(missing).toEqual([]);
    const empty = [...catalog].filter(([, text]) => text.trim() === '').map(([key]) => key);
    expect(empty).toEqual([]);
  });

  it('uses the same placeholders in every language', () => {
    const mismatched = [...allKeys].filter((key) => {
      const sets = LANGUAGES.map((language) => placeholders(catalogs[language]!.get(key) ?? '').join(','));
      return new Set(sets).size > 1;
    });
    expect(mismatched).toEqual([]);
  });

  it('has a translation for every key the templates name literally', () => {
    const used = templates(path.join(projectRoot, 'src')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([^']+)'\s*[,)]/g)].map((m) => m[1]!),
    );
    expect(used.length).toBeGreaterThan(10);
    const unknown = used.filter((key) => !allKeys.has(key));
    expect(unknown).toEqual([]);
  });

  it('has a title and a message for every error code, and a name for every language', () => {
    const needed = [
      ...Object.keys(ERROR_STATUS).flatMap((code) => [`errors.${code}.title`, `errors.${code}.message`]),
      ...LANGUAGES.map((language) => `languages.${language}`),
    ];
    expect(needed.filter((key) => !allKeys.has(key))).toEqual([]);
  });

  it('has no user-facing text written straight into a template', () => {
    const offenders = templates(path.join(projectRoot, 'src')).flatMap((file) => {
      const text = readFileSync(file, 'utf8')
        .replace(/<%[\s\S]*?%>/g, ' ')
        .replace(/<!--[\s\S]*?-->/g, ' ')
        .replace(/<[^>]*>/g, ' ')
        .replace(/&[a-z]+;/g, ' ');
      const words = text.match(/[\p{L}]{2,}/gu) ?? [];
      return words.map((word) => `${path.relative(projectRoot, file)}: ${word}`);
    });
    expect(offenders).toEqual([]);
  });

  // The translator fills {{name}} placeholders itself (src/web/i18n.ts); it must give what i18next gives.
  it.each(LANGUAGES)('%s: every text with placeholders fills in as i18next fills it', (language) => {
    const ours = translator(language);
    const theirs = i18nextTranslator(language);
    const values = ['Ақпарат', 42, '$t(registry.title)', '{{bin}}', '<b>&"\'</b>', ''];
    let compared = 0;
    for (const [key, text] of catalogs[language]!) {
      const names = placeholders(text);
      if (names.length === 0) continue;
      for (const value of values) {
        const options = Object.fromEntries(names.map((name, index) => [name, typeof value === 'number' ? value + index : value]));
        expect(ours(key, options), key).toBe(theirs(key, options));
        compared++;
      }
      // A value missing, or one i18next formats: i18next answers.
      expect(ours(key, {}), key).toBe(theirs(key, {}));
      expect(ours(key, { count: 3, ...Object.fromEntries(names.map((name) => [name, 3])) }), key).toBe(theirs(key, { count: 3, ...Object.fromEntries(names.map((name) => [name, 3])) }));
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('leaves to i18next what is more than placeholders', () => {
    expect(compileTemplate('Hello {{name}}, see $t(other)')).toBeNull();
    expect(compileTemplate('{{- name}} unescaped')).toBeNull();
    expect(compileTemplate('{{value, number}}')).toBeNull();
    expect(compileTemplate({ one: 'x' })).toBeNull();
    expect(compileTemplate(undefined)).toBeNull();
    const template = compileTemplate('BIN {{bin}}, {{ name }}.')!;
    expect(fillTemplate(template, { bin: '123', name: 'A' })).toBe('BIN 123, A.');
    expect(fillTemplate(template, { bin: '123' })).toBeNull();
    expect(fillTemplate(template, { bin: '123', name: new Date(0) })).toBeNull();
    expect(fillTemplate(template, { bin: '123', name: 'A', count: 2 })).toBeNull();
  });
});
