import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVeraPdfPool, type VeraPdfPool } from '../../src/modules/documents/verapdf-pool.ts';
import {
  createVeraPdf,
  defaultVeraPdfBin,
  VeraPdfFailedError,
  VeraPdfTimeoutError,
  VeraPdfUnavailableError,
  type VeraPdfReport,
} from '../../src/modules/documents/verapdf.ts';
import { projectRoot, sharedFixtures } from '../support/paths.ts';
import { manyPagePdf } from '../support/pdf.ts';

// The real veraPDF, as installed by scripts/install-verapdf.mjs (npm postinstall). Not installed
// is a failure here, never a skip: the portal cannot accept documents without it.
const bin = process.env.VERAPDF_BIN ?? defaultVeraPdfBin(projectRoot);
const jar = path.join(path.dirname(path.dirname(bin)), 'lib', 'greenfield-apps-1.28.2.jar');
const oneShot = createVeraPdf({ bin, timeoutMs: 60_000 });
const documents = path.join(sharedFixtures, 'documents');
const good = (name: string) => path.join(documents, 'good', name);
const bad = (name: string) => path.join(documents, 'bad', name);

let scratch = '';
let slowPdf = '';
const pools: VeraPdfPool[] = [];
let markerCount = 0;

/**
 * A pool whose JVMs carry a system property no other process has, so that this test finds its own
 * JVMs (and only them: other veraPDF runs on the machine are none of its business).
 */
function testPool(options: Partial<Parameters<typeof createVeraPdfPool>[0]> = {}): { pool: VeraPdfPool; marker: string } {
  markerCount += 1;
  const marker = `-Dportal.verapdf.pool.test=${process.pid}-${markerCount}`;
  const pool = createVeraPdfPool({ bin, timeoutMs: 60_000, size: 1, ...options, javaOpts: `${marker} ${options.javaOpts ?? ''}`.trim() });
  pools.push(pool);
  return { pool, marker };
}

beforeAll(() => {
  if (!existsSync(bin)) throw new Error(`veraPDF is not installed at ${bin}: run node scripts/install-verapdf.mjs`);
  scratch = mkdtempSync(path.join(os.tmpdir(), 'verapdf-pool-test-'));
  slowPdf = path.join(scratch, 'slow.pdf');
  writeFileSync(slowPdf, manyPagePdf(40_000), 'latin1');
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Processes whose command line mentions every one of `needles` (Linux /proc; the portal runs on Linux). */
function processesMentioning(...needles: string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (needles.every((needle) => commandLine.includes(needle))) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** The pool's JVMs (the launcher execs Java, so the jar and the marker are on one command line). */
const jvmsOf = (marker: string) => processesMentioning(jar, marker);

/** The java.io.tmpdir the pool gave each of its JVMs. */
function tmpDirsOf(marker: string): string[] {
  return jvmsOf(marker).flatMap((pid) => {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return args.filter((arg) => arg.startsWith('-Djava.io.tmpdir=')).map((arg) => arg.slice('-Djava.io.tmpdir='.length));
    } catch {
      return [];
    }
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return condition();
}

/** What veraPDF's server mode prints when it has started: the path of an (empty) report. */
const STARTED = ': > "$DIR/tempReport1.xml"\necho "$DIR/tempReport1.xml"';

/** A stand-in for veraPDF's server mode, as a shell script ($DIR: a directory of its own). */
function fakeServer(name: string, body: string): string {
  const directory = path.join(scratch, 'fake', name);
  mkdirSync(directory, { recursive: true });
  const script = path.join(directory, 'verapdf');
  writeFileSync(script, `#!/bin/sh\nDIR='${directory}'\n${body}\n`, { mode: 0o755 });
  return script;
}

/**
 * What must be the same whichever way veraPDF was run: the raw job differs in timings, and veraPDF
 * lists the failed rules in no fixed order.
 */
function verdict(report: VeraPdfReport) {
  const { raw, failedRules, ...rest } = report;
  const key = (rule: VeraPdfReport['failedRules'][number]) => `${rule.specification} ${rule.clause} ${String(rule.testNumber).padStart(4, '0')}`;
  return { ...rest, failedRules: [...failedRules].sort((a, b) => key(a).localeCompare(key(b))), item: raw.itemDetails };
}

const FIXTURES = [good('tz.pdfa1.pdf'), bad('tz.plain-pdf-1.6.pdf'), bad('tz.pdfa-2b.pdf'), bad('akt-oe.encrypted.pdf'), bad('tz.truncated.pdf'), bad('random-bytes.pdf')];

describe('veraPDF pool (server mode) against the real veraPDF', () => {
  const { pool: shared, marker: sharedMarker } = testPool({ size: 2 });
  const expected = new Map<string, ReturnType<typeof verdict>>();

  beforeAll(async () => {
    // The one-shot adapter's answers, to compare with (two at a time: the machine has 2 cores).
    for (let index = 0; index < FIXTURES.length; index += 2) {
      const pair = FIXTURES.slice(index, index + 2);
      const reports = await Promise.all(pair.map((file) => oneShot.validate(file)));
      pair.forEach((file, at) => expected.set(file, verdict(reports[at]!)));
    }
  }, 120_000);

  it('reports the pinned version', async () => {
    await expect(shared.version()).resolves.toBe('1.28.2');
  });

  it('starts no JVM before the first validation', () => {
    expect(shared.stats()).toEqual({ size: 2, busy: 0, queued: 0, started: 0, restarts: 0 });
    expect(jvmsOf(sharedMarker)).toEqual([]);
  });

  it('gives the one-shot verdicts: PDF/A-1a compliant, plain PDF failed as 1b, PDF/A-2b as 2b, encrypted, unparseable', async () => {
    for (const file of FIXTURES) {
      const report = await shared.validate(file);
      expect(verdict(report), file).toEqual(expected.get(file));
    }
    expect(verdict(await shared.validate(good('tz.pdfa1.pdf')))).toMatchObject({ compliant: true, flavour: '1a', problem: null, file: good('tz.pdfa1.pdf') });
    const plain = await shared.validate(bad('tz.plain-pdf-1.6.pdf'));
    expect(plain).toMatchObject({ compliant: false, flavour: '1b', problem: null });
    expect(plain.failedRules.length).toBeGreaterThan(0);
    expect(plain.failedRules.map((rule) => rule.clause)).toContain('6.7.2');
    expect(plain.failedRules.every((rule) => rule.examples.length <= 10)).toBe(true);
    await expect(shared.validate(bad('tz.pdfa-2b.pdf'))).resolves.toMatchObject({ compliant: true, flavour: '2b' });
    await expect(shared.validate(bad('akt-oe.encrypted.pdf'))).resolves.toMatchObject({ compliant: null, problem: 'encrypted' });
    for (const name of ['tz.truncated.pdf', 'random-bytes.pdf']) {
      const report = await shared.validate(bad(name));
      expect(report).toMatchObject({ compliant: null, flavour: null, problem: 'unparseable' });
      expect(report.raw).toHaveProperty('taskException.type', 'PARSE');
    }
    expect(shared.stats()).toMatchObject({ busy: 0, queued: 0, restarts: 0 });
  });

  it('runs at most `size` at once and queues the rest: 8 at once on 2 workers all match', async () => {
    const files = Array.from({ length: 8 }, (_, index) => FIXTURES[index % FIXTURES.length]!);
    const running = files.map((file) => shared.validate(file));
    expect(shared.stats()).toMatchObject({ size: 2, busy: 2, queued: 6 });
    const reports = await Promise.all(running);
    reports.forEach((report, index) => expect(verdict(report)).toEqual(expected.get(files[index]!)));
    expect(shared.stats()).toMatchObject({ busy: 0, queued: 0, started: 2, restarts: 0 });
    expect(jvmsOf(sharedMarker)).toHaveLength(2);
  });

  it('reads and deletes each report: nothing but veraPDF\'s own log piles up in a worker\'s temp directory', async () => {
    const dirs = tmpDirsOf(sharedMarker);
    expect(dirs).toHaveLength(2);
    for (const dir of dirs) {
      expect(readdirSync(dir).filter((name) => !/^logs\d+\.log(\.lck)?$/.test(name))).toEqual([]);
    }
  });

  it('validates stored files whatever their name: no .pdf extension, Cyrillic path, relative path', async () => {
    const directory = path.join(scratch, 'загрузки');
    mkdirSync(directory, { recursive: true });
    const stored = path.join(directory, 'техническое-задание');
    copyFileSync(good('tz.pdfa1.pdf'), stored);
    await expect(shared.validate(stored)).resolves.toMatchObject({ compliant: true, file: stored });
    await expect(shared.validate(path.relative(process.cwd(), stored))).resolves.toMatchObject({ compliant: true, file: stored });
  });

  it('validates a file with a line break in its name too (through the one-shot CLI)', async () => {
    const odd = path.join(scratch, 'two\nlines.pdf');
    copyFileSync(good('tz.pdfa1.pdf'), odd);
    await expect(shared.validate(odd)).resolves.toMatchObject({ compliant: true, flavour: '1a' });
  });

  it('fails with VeraPdfFailedError when the file does not exist, and carries on', async () => {
    const error: unknown = await shared.validate(path.join(scratch, 'missing.pdf')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VeraPdfFailedError);
    expect((error as VeraPdfFailedError).stderr).toMatch(/doesn't exist/);
    await expect(shared.validate(good('tz.pdfa1.pdf'))).resolves.toMatchObject({ compliant: true });
    expect(shared.stats()).toMatchObject({ started: 2, restarts: 0 });
  });

  it('takes an explicit flavour, on a worker started for it', async () => {
    const asPdfa1 = await shared.validate(bad('tz.pdfa-2b.pdf'), { flavour: '1b' });
    expect(asPdfa1).toMatchObject({ compliant: false, flavour: '1b' });
    expect(asPdfa1.failedRules.map((rule) => rule.clause)).toContain('6.7.11');
    await expect(shared.validate(bad('tz.pdfa-2b.pdf'))).resolves.toMatchObject({ compliant: true, flavour: '2b' });
  });

  it('close() rejects what is pending with VeraPdfUnavailableError and leaves no JVM or temp directory behind', async () => {
    const dirs = tmpDirsOf(sharedMarker);
    expect(dirs.length).toBeGreaterThan(0);
    // Two that take seconds (one per worker) and one waiting behind them.
    const pending = [slowPdf, slowPdf, good('tz.pdfa1.pdf')].map((file) => shared.validate(file).catch((caught: unknown) => caught));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await shared.close();
    for (const outcome of await Promise.all(pending)) {
      expect(outcome).toBeInstanceOf(VeraPdfUnavailableError);
      expect((outcome as Error).message).toBe('closed');
    }
    expect(jvmsOf(sharedMarker)).toEqual([]);
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
    await expect(shared.validate(good('tz.pdfa1.pdf'))).rejects.toBeInstanceOf(VeraPdfUnavailableError);
    await shared.close();
  });
});

describe('veraPDF pool when things go wrong', () => {
  it('kills a worker that takes too long (VeraPdfTimeoutError) and works on with a fresh one', async () => {
    const { pool, marker } = testPool({ timeoutMs: 2_500 });
    await expect(pool.validate(good('tz.pdfa1.pdf'))).resolves.toMatchObject({ compliant: true });
    const [first] = jvmsOf(marker);
    expect(first).toBeDefined();
    const started = Date.now();
    const slow = pool.validate(slowPdf).catch((caught: unknown) => caught);
    // Handed ahead to the same JVM: it goes back to the queue when that JVM is killed, not down with it.
    const behind = pool.validate(good('tz.pdfa1.pdf'));
    expect(pool.stats()).toMatchObject({ busy: 1, queued: 1 });
    const error = await slow;
    expect(error).toBeInstanceOf(VeraPdfTimeoutError);
    expect(error).toMatchObject({ code: 'VERAPDF_TIMEOUT', timeoutMs: 2_500 });
    expect(Date.now() - started).toBeLessThan(2_500 + 3_000);
    // The timed-out JVM is gone by the time the promise settles.
    expect(jvmsOf(marker)).not.toContain(first);
    await expect(behind).resolves.toMatchObject({ compliant: true, flavour: '1a' });
    await expect(pool.validate(good('tz.pdfa1.pdf'))).resolves.toMatchObject({ compliant: true, flavour: '1a' });
    expect(pool.stats()).toMatchObject({ started: 2, restarts: 1, busy: 0 });
    await pool.close();
    expect(jvmsOf(marker)).toEqual([]);
  });

  it('rejects the document in flight with VeraPdfFailedError when its JVM is killed, and the next one works', async () => {
    const { pool, marker } = testPool();
    await pool.validate(good('tz.pdfa1.pdf'));
    const [jvm] = jvmsOf(marker);
    expect(jvm).toBeDefined();
    const running = pool.validate(slowPdf).catch((caught: unknown) => caught);
    const behind = pool.validate(bad('tz.plain-pdf-1.6.pdf'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(jvm!, 'SIGKILL');
    const error = await running;
    expect(error).toBeInstanceOf(VeraPdfFailedError);
    expect((error as Error).message).toMatch(/killed by SIGKILL while validating/);
    await expect(behind).resolves.toMatchObject({ compliant: false, flavour: '1b' });
    await expect(pool.validate(good('tz.pdfa1.pdf'))).resolves.toMatchObject({ compliant: true });
    expect(pool.stats()).toMatchObject({ started: 2, restarts: 1 });
    await pool.close();
    expect(jvmsOf(marker)).toEqual([]);
  });

  it('replaces a worker after its quota of files, and idle workers after their idle time', async () => {
    const { pool, marker } = testPool({ maxFilesPerWorker: 2, idleTimeoutMs: 1_500 });
    for (let index = 0; index < 5; index += 1) {
      await expect(pool.validate(good('tz.pdfa1.pdf'))).resolves.toMatchObject({ compliant: true });
    }
    expect(pool.stats()).toMatchObject({ started: 3, restarts: 2 });
    // Retired ones end at end of input.
    expect(await waitFor(() => jvmsOf(marker).length === 1, 5_000)).toBe(true);
    // …and the last one when it has been idle long enough.
    expect(await waitFor(() => jvmsOf(marker).length === 0, 6_000)).toBe(true);
    await expect(pool.validate(good('tz.pdfa1.pdf'))).resolves.toMatchObject({ compliant: true });
    expect(pool.stats()).toMatchObject({ started: 4, restarts: 2 });
    await pool.close();
  });

  it('hands nothing ahead with prefetch 0', async () => {
    const { pool } = testPool({ prefetch: 0 });
    const running = [good('tz.pdfa1.pdf'), bad('tz.pdfa-2b.pdf'), bad('akt-oe.encrypted.pdf')].map((file) => pool.validate(file));
    expect(pool.stats()).toMatchObject({ busy: 1, queued: 2 });
    const reports = await Promise.all(running);
    expect(reports.map((report) => report.flavour ?? report.problem)).toEqual(['1a', '2b', 'encrypted']);
    await pool.close();
  });

  it('starts every worker at once when eager', async () => {
    const { pool, marker } = testPool({ size: 2, eager: true });
    expect(pool.stats().started).toBe(2);
    expect(await waitFor(() => jvmsOf(marker).length === 2, 10_000)).toBe(true);
    await expect(pool.validate(good('tz.pdfa1.pdf'))).resolves.toMatchObject({ compliant: true });
    expect(pool.stats()).toMatchObject({ started: 2 });
    await pool.close();
    expect(jvmsOf(marker)).toEqual([]);
  });

  it('is unavailable when the binary does not exist, or the launcher cannot find its jar', async () => {
    const missing = createVeraPdfPool({ bin: path.join(scratch, 'no-such-verapdf'), timeoutMs: 10_000, size: 1, eager: true });
    pools.push(missing);
    await expect(missing.validate(good('tz.pdfa1.pdf'))).rejects.toBeInstanceOf(VeraPdfUnavailableError);
    await expect(missing.validate(good('tz.pdfa1.pdf'))).rejects.toMatchObject({ code: 'VERAPDF_UNAVAILABLE' });
    await expect(missing.version()).rejects.toBeInstanceOf(VeraPdfUnavailableError);
    await missing.close();

    const launcher = path.join(scratch, 'orphan', 'bin', 'verapdf');
    mkdirSync(path.dirname(launcher), { recursive: true });
    copyFileSync(defaultVeraPdfBin(projectRoot), launcher);
    const orphan = createVeraPdfPool({ bin: launcher, timeoutMs: 10_000, size: 1 });
    pools.push(orphan);
    const error: unknown = await orphan.validate(good('tz.pdfa1.pdf')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VeraPdfUnavailableError);
    expect((error as Error).message).toMatch(/missing/);
    await orphan.close();
  });

  it('never hangs on a worker that misbehaves', async () => {
    const cases: Array<[string, string, (error: unknown) => void, Record<string, unknown>?]> = [
      ['exits on the first path', `${STARTED}\n` + 'read line\necho "crashed" >&2\nexit 3', (error) => {
        expect(error).toBeInstanceOf(VeraPdfFailedError);
        expect(error).toMatchObject({ exitCode: 3 });
        expect((error as VeraPdfFailedError).stderr).toMatch(/crashed/);
      }],
      ['prints something else than a report path', `${STARTED}\n` + 'read line\necho "Exception in thread main"\nsleep 30', (error) => {
        expect(error).toBeInstanceOf(VeraPdfFailedError);
        expect((error as Error).message).toMatch(/instead of a report path/);
      }],
      ['prints a report that is no report', `${STARTED}\n` + 'read line\necho "not json" > "$DIR/tempReport2.xml"\necho "$DIR/tempReport2.xml"\nsleep 30', (error) => {
        expect(error).toBeInstanceOf(VeraPdfFailedError);
        expect((error as Error).message).toMatch(/not JSON/);
      }],
      ['never answers', `${STARTED}\n` + 'read line\nsleep 30', (error) => expect(error).toBeInstanceOf(VeraPdfTimeoutError), { timeoutMs: 300 }],
      ['never starts', 'sleep 30', (error) => {
        expect(error).toBeInstanceOf(VeraPdfFailedError);
        expect((error as Error).message).toMatch(/did not start/);
      }, { startTimeoutMs: 300 }],
    ];
    for (const [name, behaviour, check, extra] of cases) {
      const script = fakeServer(name.replaceAll(' ', '-'), behaviour);
      const pool = createVeraPdfPool({ bin: script, timeoutMs: 10_000, size: 1, ...extra });
      pools.push(pool);
      const started = Date.now();
      const error: unknown = await pool.validate(good('tz.pdfa1.pdf')).catch((caught: unknown) => caught);
      check(error);
      expect(Date.now() - started, name).toBeLessThan(5_000);
      await pool.close();
      // The fake's `sleep` is in its process group and must have gone with it.
      expect(processesMentioning(script)).toEqual([]);
    }
  });

  it('does not keep its owner alive, and leaves nothing behind when the owner exits without close()', async () => {
    const marker = `-Dportal.verapdf.pool.test=${process.pid}-orphaned`;
    const poolModule = path.join(projectRoot, 'src', 'modules', 'documents', 'verapdf-pool.ts');
    const script = [
      `import { createVeraPdfPool } from ${JSON.stringify(poolModule)};`,
      `const pool = createVeraPdfPool({ bin: ${JSON.stringify(bin)}, timeoutMs: 60000, size: 1, javaOpts: ${JSON.stringify(marker)} });`,
      `const report = await pool.validate(${JSON.stringify(good('tz.pdfa1.pdf'))});`,
      // The JVM's temp directory, from its command line.
      `import { readdirSync, readFileSync } from 'node:fs';`,
      `const dirs = readdirSync('/proc').filter((entry) => /^\\d+$/.test(entry)).map((entry) => {`,
      `  try { return readFileSync('/proc/' + entry + '/cmdline', 'utf8').split('\\0'); } catch { return []; }`,
      `}).filter((args) => args.includes(${JSON.stringify(marker)})).flat().filter((arg) => arg.startsWith('-Djava.io.tmpdir=')).map((arg) => arg.slice(17));`,
      `console.log(JSON.stringify({ compliant: report.compliant, dirs }));`,
    ].join('\n');
    const node24 = path.join(projectRoot, 'node_modules', '.bin', 'node');
    const result = spawnSync(existsSync(node24) ? node24 : process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout) as { compliant: boolean; dirs: string[] };
    expect(output.compliant).toBe(true);
    const ours = output.dirs.filter((dir) => dir.includes('verapdf-pool-'));
    expect(ours.length).toBeGreaterThan(0);
    expect(await waitFor(() => jvmsOf(marker).length === 0, 5_000)).toBe(true);
    for (const dir of ours) expect(existsSync(dir)).toBe(false);
  });
});
