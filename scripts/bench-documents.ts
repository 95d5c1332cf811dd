/**
 * The PDF/A check on the veraPDF corpus (/work/shared/fixtures/pdfa-corpus, read from its
 * manifest.json), three ways in one run, with the same veraPDF and the same flags
 * (--format json --flavour 0 --defaultflavour 1b --maxfailuresdisplayed 10 --nonpdfext):
 *   (a) the project's pipeline: every file queued at once, taken by a job worker that has twice as
 *       many in progress as the veraPDF pool has JVMs (--concurrency), each through
 *       checkDocumentFile (check.ts) on the warm pool (verapdf-pool.ts) at its default size. The pool
 *       starts cold: its JVM start-up is in the figures, as the batch call's is in (c).
 *   (b) the plain CLI, one JVM per file (createVeraPdf), as many at a time as (a); on an evenly
 *       spread sample of files (--sample, default 40), extrapolated to the whole corpus.
 *   (c) the plain CLI once, with every file as an argument (split into several calls only if the
 *       argument list would get too long), one JVM.
 * Prints files/s, per-file p50/p95 (time from a worker taking the file to its result) for (a) and
 * (b), the wall time of (c), the ratios, the load average, and how many of (a)'s verdicts match the
 * manifest's expected_pdfa1 (pass ⇔ veraPDF compliant against the PDF/A-1 level the file declares):
 * a report, never a failure.
 *
 * (a) is then run a second time on the same, now warm, pool, as a running server's would be (--cold: not).
 *
 *   node scripts/bench-documents.ts [--sample 40] [--size N] [--concurrency N] [--prefetch N]
 *                                   [--java-opts=…] [--only a,b,c] [--validate-only] [--cold]
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createVeraPdfPool } from '../src/modules/documents/verapdf-pool.ts';
import { createVeraPdf, defaultVeraPdfBin, parseVeraPdfJson, type VeraPdf, type VeraPdfReport } from '../src/modules/documents/verapdf.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpusDir = path.resolve(projectRoot, '..', 'shared', 'fixtures', 'pdfa-corpus');

// ---------------------------------------------------------------------------------------------
// The pipeline

export type PipelineVerdict = 'pass' | 'fail' | 'error';

export interface PipelineResult {
  file: string;
  verdict: PipelineVerdict;
  /** From the worker taking the file to its result. */
  ms: number;
  detail: string;
}

/** One file's check: the project's full check (check.ts), or veraPDF alone. */
export type CheckFile = (filePath: string, veraPdf: VeraPdf) => Promise<{ verdict: PipelineVerdict; detail: string }>;

/** veraPDF alone: pass ⇔ compliant against a PDF/A-1 level (the flavour auto-detected from the file). */
export const validateOnly: CheckFile = async (filePath, veraPdf) => {
  try {
    const report = await veraPdf.validate(filePath);
    return { verdict: reportVerdict(report), detail: report.problem ?? report.flavour ?? '' };
  } catch (error) {
    return { verdict: 'error', detail: error instanceof Error ? error.message : String(error) };
  }
};

/** The project's check of an uploaded file (check.ts): accepted ⇔ pass. */
export async function loadProjectCheck(): Promise<CheckFile | null> {
  if (!existsSync(path.join(projectRoot, 'src', 'modules', 'documents', 'check.ts'))) return null;
  const { checkDocumentFile } = await import('../src/modules/documents/check.ts');
  return async (filePath, veraPdf) => {
    try {
      const result = await checkDocumentFile(filePath, { veraPdf });
      const verdict: PipelineVerdict = result.verdict === 'accepted' ? 'pass' : result.verdict === 'rejected' ? 'fail' : 'error';
      return { verdict, detail: result.reasons.map((reason) => reason.code).join(',') };
    } catch (error) {
      return { verdict: 'error', detail: error instanceof Error ? error.message : String(error) };
    }
  };
}

function reportVerdict(report: VeraPdfReport): PipelineVerdict {
  if (report.compliant === null) return report.problem === 'encrypted' || report.problem === 'unparseable' ? 'fail' : 'error';
  return report.compliant && report.flavour !== null && report.flavour.startsWith('1') ? 'pass' : 'fail';
}

/**
 * Every file queued at once, taken in order by a job worker that has `concurrency` of them in
 * progress at a time. Default: twice the pool's size, so that each JVM has its next document
 * waiting (the pool's prefetch) while Node does its own part of the check for others.
 */
export async function runPipeline(
  files: readonly string[],
  pool: VeraPdf & { readonly size?: number },
  options: { check?: CheckFile; concurrency?: number } = {},
): Promise<PipelineResult[]> {
  const check = options.check ?? validateOnly;
  const concurrency = Math.max(1, options.concurrency ?? (pool.size ? pool.size * 2 : files.length));
  const results: PipelineResult[] = new Array(files.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < files.length) {
      const index = next++;
      const file = files[index]!;
      const started = performance.now();
      const { verdict, detail } = await check(file, pool);
      results[index] = { file, verdict, ms: performance.now() - started, detail };
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, () => worker()));
  return results;
}

// ---------------------------------------------------------------------------------------------
// Figures

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

const ms = (value: number) => `${Math.round(value)} ms`;
const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;
const load = () => os.loadavg().map((value) => value.toFixed(2)).join(' ');

/** CPU seconds used so far by the running processes whose command line has `marker` as an argument. */
function cpuSecondsOf(marker: string): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(marker)) continue;
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone while we looked.
    }
  }
  return ticks / 100;
}

/** CPU seconds used by this process's finished children so far (the JVMs). */
function childCpuSeconds(): number {
  // /proc/self/stat fields 16 and 17: cutime, cstime (clock ticks, usually 100 a second).
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

// ---------------------------------------------------------------------------------------------
// (c): one batch call

const CLI_FLAGS = ['--format', 'json', '--flavour', '0', '--defaultflavour', '1b', '--maxfailuresdisplayed', '10', '--nonpdfext'];
/** Bytes of arguments per call: well under Linux's ARG_MAX (2 MiB with the default stack limit) and its 128 KiB per argument. */
const MAX_ARG_BYTES = 256 * 1024;

async function batchCli(bin: string, files: readonly string[], scratch: string): Promise<{ wallMs: number; calls: number; reports: Map<string, VeraPdfReport> }> {
  const chunks: string[][] = [[]];
  let bytes = 0;
  for (const file of files) {
    const size = Buffer.byteLength(file) + 1;
    if (bytes + size > MAX_ARG_BYTES && chunks.at(-1)!.length > 0) {
      chunks.push([]);
      bytes = 0;
    }
    chunks.at(-1)!.push(file);
    bytes += size;
  }
  const reports = new Map<string, VeraPdfReport>();
  let wallMs = 0;
  for (const [index, chunk] of chunks.entries()) {
    const output = path.join(scratch, `batch-${index}.json`);
    const started = performance.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(bin, [...CLI_FLAGS, ...chunk], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
      child.stdout.pipe(createWriteStream(output));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve(exitCode));
    });
    wallMs += performance.now() - started;
    if (code !== 0 && code !== 1) process.stdout.write(`    (batch call ${index + 1} exited with ${code})\n`);
    for (const report of parseVeraPdfJson(await readFile(output, 'utf8'))) {
      if (report.file) reports.set(report.file, report);
    }
  }
  return { wallMs, calls: chunks.length, reports };
}

// ---------------------------------------------------------------------------------------------

interface ManifestEntry {
  file: string;
  corpus_part: string;
  expected_pdfa1: 'pass' | 'fail';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sample: { type: 'string', default: '40' },
      size: { type: 'string' },
      concurrency: { type: 'string' },
      'java-opts': { type: 'string' },
      prefetch: { type: 'string' },
      only: { type: 'string', default: 'a,b,c' },
      'validate-only': { type: 'boolean', default: false },
      cold: { type: 'boolean', default: false },
    },
  });
  const only = new Set((values.only ?? 'a,b,c').split(',').map((part) => part.trim()));
  const bin = process.env.VERAPDF_BIN ?? defaultVeraPdfBin(projectRoot);
  if (!existsSync(bin)) throw new Error(`veraPDF is not installed at ${bin}: run node scripts/install-verapdf.mjs`);
  const manifest = JSON.parse(readFileSync(path.join(corpusDir, 'manifest.json'), 'utf8')) as { files: ManifestEntry[] };
  const entries = manifest.files.map((entry) => ({ ...entry, path: path.join(corpusDir, entry.file) }));
  const files = entries.map((entry) => entry.path);
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`${missing.length} corpus files are missing, e.g. ${missing[0]}`);

  const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-documents-'));
  // The one-shot and batch JVMs put veraPDF's log files (logs<pid>….log, never deleted) here.
  const plainEnvOpts = `-Djava.io.tmpdir=${scratch}`;
  const size = values.size ? Number(values.size) : undefined;
  const projectCheck = values['validate-only'] ? null : await loadProjectCheck();
  const check = projectCheck ?? validateOnly;
  process.stdout.write(
    `veraPDF corpus: ${files.length} files; ${os.availableParallelism()} CPUs; load average ${load()}\n` +
      `pipeline (a): ${projectCheck ? 'checkDocumentFile (check.ts)' : 'the pool\'s validate()'} on createVeraPdfPool` +
      `${size ? ` size ${size}` : ' (default size)'}${values['java-opts'] ? `, javaOpts "${values['java-opts']}"` : ''}\n`,
  );

  let a: { wallMs: number; results: PipelineResult[] } | null = null;
  let aWarm: { wallMs: number; results: PipelineResult[] } | null = null;
  let b: { wallMs: number; results: PipelineResult[]; sample: number } | null = null;
  let c: { wallMs: number; calls: number; reports: Map<string, VeraPdfReport> } | null = null;
  let cCpu = Number.NaN;
  let aCpu = Number.NaN;
  let aWarmCpu = Number.NaN;
  let poolSize = size ?? Math.max(1, Math.min(4, os.availableParallelism()));
  const concurrency = values.concurrency ? Number(values.concurrency) : undefined;

  try {
    if (only.has('c')) {
      process.stdout.write(`\n(c) plain CLI, one call with every file (load ${load()})…\n`);
      process.env.VERAPDF_JAVA_OPTS = plainEnvOpts;
      const cpuBefore = childCpuSeconds();
      c = await batchCli(bin, files, scratch);
      delete process.env.VERAPDF_JAVA_OPTS;
      cCpu = childCpuSeconds() - cpuBefore;
      process.stdout.write(
        `    ${c.reports.size} reports in ${c.calls} call(s): ${seconds(c.wallMs)} wall, ${(files.length / (c.wallMs / 1000)).toFixed(1)} files/s, ` +
          `${cCpu.toFixed(1)} CPU s (load ${load()})\n`,
      );
    }

    if (only.has('a')) {
      process.stdout.write(`\n(a) pipeline on the pool, all files queued (load ${load()})…\n`);
      // Finds the pool's JVMs in /proc, to tell the CPU time of each run.
      const marker = `-Dbench.documents=${process.pid}`;
      const pool = createVeraPdfPool({
        bin,
        timeoutMs: 120_000,
        ...(size ? { size } : {}),
        javaOpts: `${marker} ${values['java-opts'] ?? ''}`.trim(),
        ...(values.prefetch !== undefined ? { prefetch: Number(values.prefetch) } : {}),
      });
      poolSize = pool.size;
      const cpuBefore = childCpuSeconds();
      const describe = (run: { wallMs: number; results: PipelineResult[] }) => {
        const latencies = run.results.map((result) => result.ms);
        return (
          `${seconds(run.wallMs)} wall, ${(files.length / (run.wallMs / 1000)).toFixed(1)} files/s, ` +
          `per file p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}`
        );
      };
      try {
        let started = performance.now();
        const results = await runPipeline(files, pool, { check, ...(concurrency ? { concurrency } : {}) });
        a = { wallMs: performance.now() - started, results };
        // Running JVMs from /proc, plus the ones that ended (recycled) and were reaped.
        const poolCpu = () => cpuSecondsOf(marker) + (childCpuSeconds() - cpuBefore);
        const coldCpu = poolCpu();
        aCpu = coldCpu;
        process.stdout.write(
          `    pool size ${poolSize}, ${concurrency ?? poolSize * 2} at a time, cold pool (JVM start-up included): ${describe(a)}; ` +
            `${coldCpu.toFixed(1)} CPU s in the JVMs (load ${load()})\n`,
        );
        if (!values.cold) {
          started = performance.now();
          const again = await runPipeline(files, pool, { check, ...(concurrency ? { concurrency } : {}) });
          aWarm = { wallMs: performance.now() - started, results: again };
          aWarmCpu = poolCpu() - coldCpu;
          process.stdout.write(
            `    the same again on the now warm pool: ${describe(aWarm)}; ${aWarmCpu.toFixed(1)} CPU s in the JVMs ` +
              `(load ${load()})\n`,
          );
        }
      } finally {
        await pool.close();
      }
      process.stdout.write(
        `    JVMs started: ${pool.stats().started}, restarts: ${pool.stats().restarts}; ${(childCpuSeconds() - cpuBefore).toFixed(1)} CPU s in all its JVMs ` +
          `(${aWarm ? 'both runs' : 'one run'}); Node: ${(process.cpuUsage().user / 1e6).toFixed(1)} CPU s user so far\n`,
      );
    }

    if (only.has('b')) {
      const sampleSize = Math.min(files.length, Math.max(1, Number(values.sample)));
      const step = files.length / sampleSize;
      const sample = Array.from({ length: sampleSize }, (_, index) => files[Math.floor(index * step)]!);
      process.stdout.write(`\n(b) plain CLI, one JVM per file, ${poolSize} at a time, on ${sampleSize} of ${files.length} files (load ${load()})…\n`);
      process.env.VERAPDF_JAVA_OPTS = plainEnvOpts;
      const oneShot = createVeraPdf({ bin, timeoutMs: 120_000 });
      const cpuBefore = childCpuSeconds();
      const started = performance.now();
      const results = await runPipeline(sample, oneShot, { check: validateOnly, concurrency: poolSize });
      delete process.env.VERAPDF_JAVA_OPTS;
      b = { wallMs: performance.now() - started, results, sample: sampleSize };
      const latencies = results.map((result) => result.ms);
      process.stdout.write(
        `    ${seconds(b.wallMs)} wall for the sample, ${(sampleSize / (b.wallMs / 1000)).toFixed(2)} files/s, per file p50 ${ms(percentile(latencies, 50))}, ` +
          `p95 ${ms(percentile(latencies, 95))}; extrapolated to ${files.length} files: ${seconds((b.wallMs / sampleSize) * files.length)}; ` +
          `${(childCpuSeconds() - cpuBefore).toFixed(1)} CPU s for the sample (load ${load()})\n`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  process.stdout.write('\nSummary\n');
  const rate = (count: number, wallMs: number) => count / (wallMs / 1000);
  if (a && c) {
    const ratio = a.wallMs / c.wallMs;
    process.stdout.write(`  (a) vs (c): ${seconds(a.wallMs)} / ${seconds(c.wallMs)} = ${ratio.toFixed(2)}× the batch call's wall time, both from a cold start (target ≤ 1.25×: ${ratio <= 1.25 ? 'met' : 'NOT met'})\n`);
    if (aWarm) {
      const warmRatio = aWarm.wallMs / c.wallMs;
      process.stdout.write(`  (a, warm pool) vs (c): ${seconds(aWarm.wallMs)} / ${seconds(c.wallMs)} = ${warmRatio.toFixed(2)}× (a running server's pool is warm)\n`);
    }
    // Wall time on a shared machine follows what else runs; the JVMs' CPU time hardly does.
    process.stdout.write(
      `  CPU s in veraPDF's JVMs: (a) cold ${aCpu.toFixed(1)}${aWarm ? `, (a) warm ${aWarmCpu.toFixed(1)}` : ''}, (c) ${cCpu.toFixed(1)} ` +
        `(the cold pool pays each JVM's start-up and JIT warm-up; the batch call pays them once)\n`,
    );
  }
  if (a && b) {
    const ratio = rate(files.length, a.wallMs) / rate(b.sample, b.wallMs);
    process.stdout.write(`  (b) vs (a): the pipeline does ${ratio.toFixed(1)}× the files/s of one JVM per file (target ≥ 5×: ${ratio >= 5 ? 'met' : 'NOT met'}; (b) extrapolated from ${b.sample} files)\n`);
  }
  if (a) {
    const expected = new Map(entries.map((entry) => [entry.path, entry]));
    const matching = a.results.filter((result) => result.verdict === expected.get(result.file)?.expected_pdfa1);
    const errors = a.results.filter((result) => result.verdict === 'error');
    process.stdout.write(`  (a) verdicts matching the manifest's expected_pdfa1: ${matching.length} of ${files.length}${errors.length ? ` (${errors.length} errors)` : ''}\n`);
    const byPart = new Map<string, { match: number; total: number }>();
    for (const result of a.results) {
      const entry = expected.get(result.file)!;
      const key = `${entry.corpus_part} expected ${entry.expected_pdfa1}`;
      const counts = byPart.get(key) ?? { match: 0, total: 0 };
      counts.total += 1;
      if (result.verdict === entry.expected_pdfa1) counts.match += 1;
      byPart.set(key, counts);
    }
    for (const [key, counts] of byPart) process.stdout.write(`    ${key}: ${counts.match}/${counts.total}\n`);
    for (const result of a.results.filter((candidate) => candidate.verdict !== expected.get(candidate.file)?.expected_pdfa1).slice(0, 15)) {
      process.stdout.write(`    differs: ${path.relative(corpusDir, result.file)}: ${result.verdict} (${result.detail})\n`);
    }
    if (c) {
      const agree = a.results.filter((result) => {
        const report = c.reports.get(result.file);
        return report !== undefined && reportVerdict(report) === result.verdict;
      });
      process.stdout.write(`  (a) and (c) give the same pass/fail for ${agree.length} of ${files.length} files\n`);
    }
  }
  process.stdout.write(`  load average at the end: ${load()}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench-documents: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
