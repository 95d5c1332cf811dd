/**
 * veraPDF, the reference PDF/A validator, run as a command-line program (a JVM per document).
 *
 * The launcher is installed by scripts/install-verapdf.mjs (veraPDF 1.28.2); VERAPDF_BIN may point
 * at another veraPDF CLI that takes the same flags. A document veraPDF cannot read (encrypted, truncated,
 * not a PDF) is a result, not an error: the report says `compliant: null` and why. The errors are
 * reserved for "veraPDF itself could not be run", which the portal reports as a service problem.
 */
import path from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Errors

export type VeraPdfErrorCode = 'VERAPDF_UNAVAILABLE' | 'VERAPDF_TIMEOUT' | 'VERAPDF_FAILED';

export abstract class VeraPdfError extends Error {
  abstract readonly code: VeraPdfErrorCode;
}

/** The binary is missing or cannot be started (no launcher, no Java, no jar). */
export class VeraPdfUnavailableError extends VeraPdfError {
  override name = 'VeraPdfUnavailableError';
  readonly code = 'VERAPDF_UNAVAILABLE';
}

/** veraPDF ran longer than allowed; its JVM has been killed. */
export class VeraPdfTimeoutError extends VeraPdfError {
  override name = 'VeraPdfTimeoutError';
  readonly code = 'VERAPDF_TIMEOUT';
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`veraPDF did not finish within ${timeoutMs} ms and was stopped`);
    this.timeoutMs = timeoutMs;
  }
}

/** veraPDF started but crashed, printed no usable report, or ended with an exit code it has no report for. */
export class VeraPdfFailedError extends VeraPdfError {
  override name = 'VeraPdfFailedError';
  readonly code = 'VERAPDF_FAILED';
  readonly exitCode: number | null;
  /** The end of what veraPDF wrote to stderr, for the log; never shown to users as is. */
  readonly stderr: string;

  constructor(message: string, details: { exitCode?: number | null; stderr?: string; cause?: unknown } = {}) {
    const stderr = excerpt(details.stderr ?? '');
    super(stderr ? `${message}: ${stderr}` : message, details.cause === undefined ? undefined : { cause: details.cause });
    this.exitCode = details.exitCode ?? null;
    this.stderr = stderr;
  }
}

const EXCERPT_CHARS = 600;

function excerpt(text: string): string {
  const trimmed = text.trim();
  return trimmed.length <= EXCERPT_CHARS ? trimmed : `…${trimmed.slice(-EXCERPT_CHARS)}`;
}

// ---------------------------------------------------------------------------------------------
// Report

export type VeraPdfFlavourOption = '1a' | '1b' | '2a' | '2b' | '2u' | '3a' | '3b' | '3u' | 'auto';

/** The PDF/A part and conformance level of the profile veraPDF validated against. */
export type PdfaFlavour = '1a' | '1b' | '2a' | '2b' | '2u' | '3a' | '3b' | '3u' | '4' | '4e' | '4f';

const PDFA_FLAVOURS: readonly PdfaFlavour[] = ['1a', '1b', '2a', '2b', '2u', '3a', '3b', '3u', '4', '4e', '4f'];

/**
 * Why veraPDF reached no verdict. `encrypted`, `unparseable`: the file itself (PDF/A forbids
 * encryption; a file veraPDF cannot parse is no PDF/A). `out_of_memory`, `processing_error`,
 * `incomplete`: veraPDF's side; the same file may pass on another try or with more memory.
 */
export type VeraPdfProblem = 'encrypted' | 'unparseable' | 'out_of_memory' | 'processing_error' | 'incomplete';

export interface VeraPdfFailedRule {
  /** e.g. "ISO 19005-1:2005" */
  specification: string;
  /** e.g. "6.2.3.3" */
  clause: string;
  testNumber: number;
  description: string;
  /** How often the rule failed in the document: exact, even though only a few `examples` are listed. */
  failedChecks: number;
  /** The kind of PDF object the rule checks, e.g. "PDDeviceRGB". */
  object: string | null;
  /** The first failures, where they are in the document and what veraPDF said about each. */
  examples: Array<{ context: string | null; errorMessage: string | null }>;
}

export interface VeraPdfCounts {
  passedRules: number;
  failedRules: number;
  passedChecks: number;
  failedChecks: number;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface VeraPdfReport {
  /** The path veraPDF was given. */
  file: string | null;
  /** true: conforms to the profile; false: does not; null: veraPDF reached no verdict (see `problem`). */
  compliant: boolean | null;
  /** e.g. "PDF/A-1A validation profile"; null when the file could not be validated. */
  profileName: string | null;
  flavour: PdfaFlavour | null;
  /** "normal", or "timeout"/"cancelled" when veraPDF stopped validating early. */
  jobEndStatus: string | null;
  /** veraPDF's one-line verdict, e.g. "PDF file is not compliant with Validation Profile requirements." */
  statement: string | null;
  counts: VeraPdfCounts;
  failedRules: VeraPdfFailedRule[];
  problem: VeraPdfProblem | null;
  /** veraPDF's own explanation when it could not process the file, e.g. "… encrypted PDF with unknown or wrong password". */
  exceptionMessage: string | null;
  /** The job exactly as veraPDF reported it, to be stored as evidence. */
  raw: JsonObject;
}

const checkSchema = z.object({
  context: z.string().nullish(),
  errorMessage: z.string().nullish(),
});

const ruleSummarySchema = z.object({
  specification: z.string(),
  clause: z.string(),
  testNumber: z.number().int(),
  status: z.string().nullish(),
  failedChecks: z.number().int().nonnegative(),
  description: z.string(),
  object: z.string().nullish(),
  checks: z.array(checkSchema).nullish(),
});

const validationResultSchema = z.object({
  details: z.object({
    passedRules: z.number().int().nonnegative(),
    failedRules: z.number().int().nonnegative(),
    passedChecks: z.number().int().nonnegative(),
    failedChecks: z.number().int().nonnegative(),
    ruleSummaries: z.array(ruleSummarySchema),
  }),
  jobEndStatus: z.string().nullish(),
  profileName: z.string(),
  statement: z.string().nullish(),
  compliant: z.boolean(),
});

const taskExceptionSchema = z.object({
  exception: z.string().nullish(),
  type: z.string().nullish(),
  exceptionMessage: z.string().nullish(),
});

const jobSchema = z.object({
  itemDetails: z.object({ name: z.string().nullish() }).nullish(),
  // An object in older releases, a list (one entry per profile) since 1.24.
  validationResult: z.union([validationResultSchema, z.array(validationResultSchema)]).nullish(),
  taskException: taskExceptionSchema.nullish(),
});

const reportSchema = z.object({
  report: z.object({ jobs: z.array(z.record(z.string(), z.unknown())) }),
});

const NO_COUNTS: VeraPdfCounts = { passedRules: 0, failedRules: 0, passedChecks: 0, failedChecks: 0 };

/**
 * Reads veraPDF's `--format json` output into one report per job (per file given).
 * Throws VeraPdfFailedError when the text is not such a report.
 */
export function parseVeraPdfJson(text: string): VeraPdfReport[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const start = text.trim().slice(0, 120);
    throw new VeraPdfFailedError(start ? `veraPDF output is not JSON: ${JSON.stringify(start)}` : 'veraPDF printed nothing', { cause: error });
  }
  const report = reportSchema.safeParse(document);
  if (!report.success) {
    throw new VeraPdfFailedError(`veraPDF output is not a veraPDF report: ${excerpt(z.prettifyError(report.error))}`);
  }
  return report.data.report.jobs.map((rawJob, index) => {
    const job = jobSchema.safeParse(rawJob);
    if (!job.success) {
      throw new VeraPdfFailedError(`veraPDF job ${index} has an unexpected shape: ${excerpt(z.prettifyError(job.error))}`);
    }
    // JSON.parse only ever produces JSON values.
    return toReport(job.data, rawJob as JsonObject);
  });
}

function toReport(job: z.infer<typeof jobSchema>, raw: JsonObject): VeraPdfReport {
  const results = job.validationResult == null ? [] : Array.isArray(job.validationResult) ? job.validationResult : [job.validationResult];
  // One profile per run is all the portal asks for (a single --flavour), so the first result is the verdict.
  const result = results[0];
  const exception = job.taskException ?? null;
  const exceptionText = exception ? (exception.exceptionMessage ?? exception.exception ?? 'veraPDF could not process the file') : null;
  const jobEndStatus = result?.jobEndStatus ?? null;
  const finished = result !== undefined && (jobEndStatus === null || jobEndStatus === 'normal');

  let problem: VeraPdfProblem | null = null;
  if (!finished) {
    if (exception) problem = classifyException(exception);
    else if (result) problem = 'incomplete';
    else problem = 'processing_error';
  }

  return {
    file: job.itemDetails?.name ?? null,
    // A validation cut short proves nothing either way.
    compliant: finished ? result.compliant : null,
    profileName: result?.profileName ?? null,
    flavour: result ? flavourOfProfile(result.profileName) : null,
    jobEndStatus,
    statement: result?.statement ?? null,
    counts: result
      ? {
          passedRules: result.details.passedRules,
          failedRules: result.details.failedRules,
          passedChecks: result.details.passedChecks,
          failedChecks: result.details.failedChecks,
        }
      : { ...NO_COUNTS },
    failedRules: (result?.details.ruleSummaries ?? [])
      // Passed rules appear here too when veraPDF is asked to log successes.
      .filter((rule) => rule.failedChecks > 0 || rule.status?.toLowerCase() === 'failed')
      .map((rule) => ({
        specification: rule.specification,
        clause: rule.clause,
        testNumber: rule.testNumber,
        description: rule.description,
        failedChecks: rule.failedChecks,
        object: rule.object ?? null,
        examples: (rule.checks ?? []).map((check) => ({ context: check.context ?? null, errorMessage: check.errorMessage ?? null })),
      })),
    problem,
    exceptionMessage: exceptionText ?? (problem === 'incomplete' ? `veraPDF stopped validating early (${jobEndStatus})` : problem ? 'veraPDF produced no validation result' : null),
    raw,
  };
}

function classifyException(exception: z.infer<typeof taskExceptionSchema>): VeraPdfProblem {
  const text = `${exception.exception ?? ''} ${exception.exceptionMessage ?? ''}`;
  if (/encrypt/i.test(text)) return 'encrypted';
  if (/OutOfMemory|heap space/i.test(text)) return 'out_of_memory';
  if (exception.type === 'PARSE') return 'unparseable';
  return 'processing_error';
}

/** "PDF/A-1A validation profile" → "1a"; null for non-PDF/A profiles (PDF/UA, WTPDF, custom). */
export function flavourOfProfile(profileName: string): PdfaFlavour | null {
  const match = /^PDF\/A-([1-4])([A-Z])?\b/i.exec(profileName.trim());
  if (!match) return null;
  const flavour = `${match[1]}${(match[2] ?? '').toLowerCase()}`;
  return PDFA_FLAVOURS.find((known) => known === flavour) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

export interface VeraPdf {
  /** The veraPDF release, e.g. "1.28.2". */
  version(): Promise<string>;
  validate(filePath: string, options?: { flavour?: VeraPdfFlavourOption }): Promise<VeraPdfReport>;
}

/**
 * veraPDF lists at most this many failures per rule (its own default is 100). Rule and check
 * counts stay exact; only the examples, which end up stored with every report, are bounded: a
 * non-PDF/A scan can fail one rule tens of thousands of times.
 */
export const FAILURES_DISPLAYED_PER_RULE = 10;

/**
 * Exit codes of veraPDF's CLI (org.verapdf.cli.CliConstants.ExitCodes) after which stdout holds a
 * report for the file: 0 compliant, 1 not compliant, 3 out of memory, 6 I/O error, 7 could not
 * parse, 8 encrypted, 9 veraPDF exception. The others (2 bad parameters, 4 no files to process —
 * e.g. the file does not exist —, 10–12 internal) come without one.
 */
const EXIT_CODES_WITH_REPORT = new Set([0, 1, 3, 6, 7, 8, 9]);

/** The launcher's and the shell's "command not found" / "cannot execute": Java or the jar is missing. */
export const EXIT_CODES_UNAVAILABLE: ReadonlySet<number> = new Set([126, 127]);

/** After a timeout the JVM gets SIGTERM (so it removes its temp files), then SIGKILL after this long. */
export const KILL_GRACE_MS = 2_000;

/**
 * Signals veraPDF's whole process group. The launcher execs Java, but a VERAPDF_BIN wrapper that
 * does not would leave the JVM running, and holding our pipes open, after its shell was killed.
 */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group has already exited.
  }
}

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export function defaultVeraPdfBin(projectRoot: string): string {
  return path.join(projectRoot, '.tools', 'verapdf', 'bin', 'verapdf');
}

export function createVeraPdf(options: { bin: string; timeoutMs: number }): VeraPdf {
  const { bin, timeoutMs } = options;

  async function run(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const subprocess = execa(bin, args, {
      reject: false,
      // Its own process group, so that a timeout can kill everything it started (signalGroup).
      detached: true,
      stdin: 'ignore',
      maxBuffer: MAX_OUTPUT_BYTES,
      stripFinalNewline: false,
    });
    let timedOut = false;
    let forceKill: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      timedOut = true;
      signalGroup(subprocess.pid, 'SIGTERM');
      forceKill = setTimeout(() => signalGroup(subprocess.pid, 'SIGKILL'), KILL_GRACE_MS);
    }, timeoutMs);
    const result = await subprocess.finally(() => {
      clearTimeout(deadline);
      clearTimeout(forceKill);
    });
    if (timedOut) throw new VeraPdfTimeoutError(timeoutMs);
    if (result.exitCode === undefined && result.signal === undefined && !result.isMaxBuffer) {
      // Could not be spawned at all: ENOENT, EACCES, ENOEXEC, …
      throw new VeraPdfUnavailableError(`veraPDF cannot be started (${result.code ?? 'spawn failed'}): ${bin}`, { cause: result.cause });
    }
    if (result.exitCode !== undefined && EXIT_CODES_UNAVAILABLE.has(result.exitCode)) {
      throw new VeraPdfUnavailableError(`veraPDF is not runnable: ${excerpt(result.stderr) || `${bin} exited with ${result.exitCode}`}`);
    }
    if (result.isMaxBuffer) throw new VeraPdfFailedError(`veraPDF printed more than ${MAX_OUTPUT_BYTES} bytes`, { stderr: result.stderr });
    if (result.exitCode === undefined) {
      throw new VeraPdfFailedError(`veraPDF was killed by ${result.signal ?? 'a signal'}`, { stderr: result.stderr });
    }
    return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  }

  return {
    async version() {
      const { exitCode, stdout, stderr } = await run(['--version']);
      const match = /veraPDF\s+(\d+\.\d+\.\d+)/.exec(stdout);
      if (exitCode !== 0 || !match?.[1]) {
        throw new VeraPdfFailedError(`veraPDF --version gave no version (exit ${exitCode})`, { exitCode, stderr: stderr || stdout });
      }
      return match[1];
    },

    async validate(filePath, validateOptions = {}) {
      const flavour = validateOptions.flavour ?? 'auto';
      const args = [
        '--format', 'json',
        // 0: take the flavour from the file's own PDF/A identification (XMP pdfaid).
        '--flavour', flavour === 'auto' ? '0' : flavour,
        // …and when a file claims none, check it as PDF/A-1b, the baseline the registry asks for.
        '--defaultflavour', '1b',
        '--maxfailuresdisplayed', String(FAILURES_DISPLAYED_PER_RULE),
        // Stored uploads need not end in .pdf; without this veraPDF skips them ("no files to process").
        '--nonpdfext',
        // Absolute, so that a name starting with "-" cannot be read as an option.
        path.resolve(filePath),
      ];
      const { exitCode, stdout, stderr } = await run(args);
      if (!EXIT_CODES_WITH_REPORT.has(exitCode)) {
        throw new VeraPdfFailedError(`veraPDF exited with ${exitCode} without a report`, { exitCode, stderr });
      }
      let reports: VeraPdfReport[];
      try {
        reports = parseVeraPdfJson(stdout);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new VeraPdfFailedError(`${message} (exit ${exitCode})`, { exitCode, stderr, cause: error });
      }
      const [report] = reports;
      if (reports.length !== 1 || !report) {
        throw new VeraPdfFailedError(`veraPDF reported ${reports.length} jobs for one file (exit ${exitCode})`, { exitCode, stderr });
      }
      return report;
    },
  };
}
