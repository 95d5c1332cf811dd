import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVeraPdf,
  defaultVeraPdfBin,
  VeraPdfFailedError,
  VeraPdfTimeoutError,
  VeraPdfUnavailableError,
} from '../../src/modules/documents/verapdf.ts';
import { projectRoot, sharedFixtures } from '../support/paths.ts';
import { manyPagePdf } from '../support/pdf.ts';

// The real veraPDF, as installed by scripts/install-verapdf.mjs (npm postinstall). Not installed
// is a failure here, never a skip: the portal cannot accept documents without it.
const bin = process.env.VERAPDF_BIN ?? defaultVeraPdfBin(projectRoot);
const veraPdf = createVeraPdf({ bin, timeoutMs: 60_000 });
const documents = path.join(sharedFixtures, 'documents');
const good = (name: string) => path.join(documents, 'good', name);
const bad = (name: string) => path.join(documents, 'bad', name);

let scratch = '';

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`veraPDF is not installed at ${bin}: run node scripts/install-verapdf.mjs`);
  scratch = mkdtempSync(path.join(os.tmpdir(), 'verapdf-test-'));
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Processes whose command line mentions `needle` (Linux /proc; the portal runs on Linux). */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}


/** A launcher that runs veraPDF as its child instead of becoming it, as some installers' scripts do. */
function nonExecWrapper(): string {
  const wrapper = path.join(scratch, 'wrapper', 'verapdf');
  mkdirSync(path.dirname(wrapper), { recursive: true });
  writeFileSync(wrapper, `#!/bin/sh\n'${bin.replaceAll("'", "'\\''")}' "$@"\nexit $?\n`, { mode: 0o755 });
  return wrapper;
}

describe('veraPDF adapter against the real veraPDF', () => {
  it('reports the pinned version', async () => {
    await expect(veraPdf.version()).resolves.toBe('1.28.2');
  });

  it('finds the PDF/A-1a original compliant, as PDF/A-1a', async () => {
    const report = await veraPdf.validate(good('tz.pdfa1.pdf'));
    expect(report).toMatchObject({ compliant: true, flavour: '1a', jobEndStatus: 'normal', problem: null, exceptionMessage: null, failedRules: [] });
    expect(report.profileName).toBe('PDF/A-1A validation profile');
    expect(report.counts.failedChecks).toBe(0);
    expect(report.counts.passedRules).toBeGreaterThan(100);
    expect(report.raw).toHaveProperty('itemDetails.name', good('tz.pdfa1.pdf'));
  });

  it('finds an ordinary PDF not compliant, checked as PDF/A-1b, with the failed clauses', async () => {
    const report = await veraPdf.validate(bad('tz.plain-pdf-1.6.pdf'));
    expect(report.compliant).toBe(false);
    expect(report.flavour).toBe('1b');
    expect(report.problem).toBeNull();
    expect(report.failedRules.length).toBeGreaterThan(0);
    expect(report.failedRules).toHaveLength(report.counts.failedRules);
    for (const rule of report.failedRules) {
      expect(rule.specification).toBe('ISO 19005-1:2005');
      expect(rule.clause).toMatch(/^\d+(\.\d+)+$/);
      expect(rule.description).not.toBe('');
      expect(rule.failedChecks).toBeGreaterThan(0);
      expect(rule.examples.length).toBeGreaterThan(0);
      expect(rule.examples.length).toBeLessThanOrEqual(rule.failedChecks);
    }
    // The per-rule counts add up although veraPDF lists only the first few failures of each rule.
    expect(report.failedRules.reduce((sum, rule) => sum + rule.failedChecks, 0)).toBe(report.counts.failedChecks);
    expect(report.failedRules.some((rule) => rule.failedChecks > rule.examples.length)).toBe(true);
    expect(report.failedRules.map((rule) => rule.clause)).toContain('6.7.2');
  });

  it('detects PDF/A-2b under auto, and fails it against PDF/A-1b', async () => {
    const auto = await veraPdf.validate(bad('tz.pdfa-2b.pdf'), { flavour: 'auto' });
    expect(auto).toMatchObject({ compliant: true, flavour: '2b', profileName: 'PDF/A-2B validation profile' });

    const asPdfa1 = await veraPdf.validate(bad('tz.pdfa-2b.pdf'), { flavour: '1b' });
    expect(asPdfa1.compliant).toBe(false);
    expect(asPdfa1.flavour).toBe('1b');
    // 6.7.11: the PDF/A identification in the metadata does not claim part 1.
    expect(asPdfa1.failedRules.map((rule) => rule.clause)).toContain('6.7.11');
  });

  it('gives no verdict on an encrypted PDF and says it is encrypted', async () => {
    const report = await veraPdf.validate(bad('akt-oe.encrypted.pdf'));
    expect(report).toMatchObject({ compliant: null, flavour: null, profileName: null, problem: 'encrypted', failedRules: [] });
    expect(report.exceptionMessage).toMatch(/encrypted/i);
  });

  it.each(['tz.truncated.pdf', 'random-bytes.pdf'])('gives no verdict on %s, which it cannot parse', async (name) => {
    const report = await veraPdf.validate(bad(name));
    expect(report).toMatchObject({ compliant: null, flavour: null, problem: 'unparseable', failedRules: [] });
    expect(report.exceptionMessage).toMatch(/parse/i);
    expect(report.raw).toHaveProperty('taskException.type', 'PARSE');
  });

  it('validates stored files whatever their name: no .pdf extension, Cyrillic path', async () => {
    const directory = path.join(scratch, 'загрузки');
    mkdirSync(directory, { recursive: true });
    const stored = path.join(directory, 'техническое-задание');
    copyFileSync(good('tz.pdfa1.pdf'), stored);
    const report = await veraPdf.validate(stored);
    expect(report.compliant).toBe(true);
    expect(report.file).toBe(stored);
  });

  it('fails with VeraPdfFailedError when the file does not exist', async () => {
    const missing = path.join(scratch, 'missing.pdf');
    const error: unknown = await veraPdf.validate(missing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VeraPdfFailedError);
    expect(error).toMatchObject({ code: 'VERAPDF_FAILED', exitCode: 4 });
    expect((error as VeraPdfFailedError).stderr).toMatch(/doesn't exist/);
  });

  it('is unavailable when the binary does not exist', async () => {
    const missing = createVeraPdf({ bin: path.join(scratch, 'no-such-verapdf'), timeoutMs: 10_000 });
    await expect(missing.version()).rejects.toBeInstanceOf(VeraPdfUnavailableError);
    await expect(missing.validate(good('tz.pdfa1.pdf'))).rejects.toMatchObject({ code: 'VERAPDF_UNAVAILABLE' });
  });

  it('is unavailable when the launcher cannot find its jar', async () => {
    // The installed launcher, moved away from its lib/ directory.
    const launcher = path.join(scratch, 'orphan', 'bin', 'verapdf');
    mkdirSync(path.dirname(launcher), { recursive: true });
    copyFileSync(defaultVeraPdfBin(projectRoot), launcher);
    const orphan = createVeraPdf({ bin: launcher, timeoutMs: 10_000 });
    const error: unknown = await orphan.version().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VeraPdfUnavailableError);
    expect((error as Error).message).toMatch(/missing/);
  });

  it.each([
    ['the installed launcher', () => bin],
    ['a wrapper that does not exec Java', () => nonExecWrapper()],
  ])('times out through %s, and leaves no JVM behind', async (_, binary) => {
    // A path no other process mentions, to find the JVM by its command line; and a document
    // that takes veraPDF several seconds, so that only a kill ends the run within the timeout.
    const file = path.join(scratch, `slow-${process.pid}-${Date.now()}.pdf`);
    writeFileSync(file, manyPagePdf(40_000), 'latin1');
    const hasty = createVeraPdf({ bin: binary(), timeoutMs: 300 });
    let seenRunning = false;
    const watch = setInterval(() => {
      if (processesMentioning(file).length > 0) seenRunning = true;
    }, 20);
    const started = Date.now();
    const error: unknown = await hasty.validate(file).catch((caught: unknown) => caught);
    clearInterval(watch);
    expect(error).toBeInstanceOf(VeraPdfTimeoutError);
    expect(error).toMatchObject({ code: 'VERAPDF_TIMEOUT', timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(3_000);
    // Proves the lookup below can see the JVM at all.
    expect(seenRunning).toBe(true);
    expect(processesMentioning(file)).toEqual([]);
  });
});
