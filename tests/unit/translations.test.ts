import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../src/config.ts';
import { ERROR_STATUS } from '../../src/errors.ts';
import { loadCatalog } from '../../src/web/i18n.ts';
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
});
