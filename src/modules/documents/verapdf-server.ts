/**
 * One veraPDF JVM in its (undocumented) server mode, and what it says: the process handle and the
 * line protocol the pool (verapdf-pool.ts) drives.
 *
 * Server mode, as veraPDF 1.28.2 does it (VeraPdfCli.singleThreadProcess, checked against the jar):
 *   - `verapdf --servermode <the usual flags>` with no file arguments validates the empty list at
 *     once and prints the path of its (empty) report on stdout, before reading any input: that
 *     line means "started". It also logs a SEVERE "There are no files to process." to stderr.
 *   - then, for each line read on stdin (java.util.Scanner, so \n, \r, \u2028, \u2029 and \u0085
 *     all end a line; the line "q" quits), it validates that one path and prints ONE line: the
 *     path of a fresh temp file "tempReport<digits>.xml" under java.io.tmpdir holding the report
 *     in the --format (JSON here, whatever the extension says), closed before the line is printed.
 *     veraPDF never deletes these files: the reader must.
 *   - a path that does not exist (or is no file) gives an empty report file and a SEVERE
 *     "File … doesn't exist." on stderr; the worker carries on. Encrypted, truncated and non-PDF
 *     files give a normal report with a taskException, as with the one-shot CLI.
 *   - at end of input it exits (status: the worst exit code it met), so a JVM whose parent died
 *     goes away by itself once the files it has read are done.
 *   - each JVM also creates a log file "logs<pid>….log" in java.io.tmpdir that it never deletes and
 *     that grows with every warning; so each worker gets a java.io.tmpdir of its own, removed when
 *     the worker ends, and workers are recycled after a number of files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, unlink } from 'node:fs/promises';
import readline from 'node:readline';
import {
  FAILURES_DISPLAYED_PER_RULE,
  KILL_GRACE_MS,
  parseVeraPdfJson,
  signalGroup,
  VeraPdfFailedError,
  type VeraPdfFlavourOption,
  type VeraPdfReport,
} from './verapdf.ts';

/** A retiring worker is given this long to exit on end of input before it is signalled. */
const RETIRE_GRACE_MS = 5_000;
/** The stderr kept per worker (for VeraPdfFailedError). */
const STDERR_KEEP_CHARS = 16 * 1024;
/** The end-of-line characters of java.util.Scanner.nextLine(): a path holding one cannot be sent. */
const LINE_BREAKS = /[\n\r\u2028\u2029\u0085]/;
/** What veraPDF prints per document: the absolute path of its temp report. */
const REPORT_LINE = /^\/.*\/tempReport\d+\.xml$/;

// ---------------------------------------------------------------------------------------------
// The protocol

/** Server mode reads one path per line: a name with a line break cannot be sent. */
export function isSendablePath(absolutePath: string): boolean {
  return !LINE_BREAKS.test(absolutePath);
}

/** Whether a line of veraPDF's stdout is what it prints on start and per document. */
export function isReportPath(line: string): boolean {
  return REPORT_LINE.test(line);
}

/** The flags of the one-shot adapter (createVeraPdf), minus the file. */
function serverModeArgs(flavour: VeraPdfFlavourOption): string[] {
  return [
    '--servermode',
    '--format', 'json',
    '--flavour', flavour === 'auto' ? '0' : flavour,
    '--defaultflavour', '1b',
    '--maxfailuresdisplayed', String(FAILURES_DISPLAYED_PER_RULE),
    '--nonpdfext',
  ];
}

/** A report read back: the document's outcome, and whether its JVM is still to be trusted. */
export interface ServerReport {
  outcome: VeraPdfReport | VeraPdfFailedError;
  /** Unusable output, or an OutOfMemoryError: the JVM is best not given the next document. */
  retireWorker: boolean;
}

/**
 * Reads (and deletes) the report veraPDF wrote for `filePath` at `reportPath`. `stderr` gives what
 * the JVM wrote to stderr since it started on the document, read when needed.
 */
export async function readServerReport(reportPath: string, filePath: string, stderr: () => string): Promise<ServerReport> {
  let text: string;
  try {
    text = await readFile(reportPath, 'utf8');
  } catch (error) {
    return { outcome: new VeraPdfFailedError(`veraPDF's report ${reportPath} cannot be read`, { stderr: stderr(), cause: error }), retireWorker: true };
  }
  await unlink(reportPath).catch(() => {});
  if (text.trim() === '') {
    // The file was not processed at all (it does not exist, is a directory, …). veraPDF logged
    // why just before printing the path, on the other pipe: give it a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const logged = stderr();
    const records = logged.split(/\n(?=\S+ \d+, \d{4} )/).filter((record) => record.includes(filePath));
    return { outcome: new VeraPdfFailedError('veraPDF processed no file (it does not exist or is not a regular file)', { stderr: records.length > 0 ? records.join('\n') : logged }), retireWorker: false };
  }
  let reports: VeraPdfReport[];
  try {
    reports = parseVeraPdfJson(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { outcome: new VeraPdfFailedError(message, { stderr: stderr(), cause: error }), retireWorker: true };
  }
  const [report] = reports;
  if (reports.length !== 1 || !report) {
    return { outcome: new VeraPdfFailedError(`veraPDF reported ${reports.length} jobs for one file`, { stderr: stderr() }), retireWorker: true };
  }
  return { outcome: report, retireWorker: report.problem === 'out_of_memory' };
}

// ---------------------------------------------------------------------------------------------
// The process

function unrefHandle(stream: unknown): void {
  const handle = stream as { unref?: () => void } | null;
  handle?.unref?.();
}

export interface ServerModeEvents {
  /** A line on stdout, trimmed. */
  line(line: string): void;
  /** The process has ended (or could not be spawned: both null); called once. */
  gone(code: number | null, signal: NodeJS.Signals | null): void;
}

export interface ServerModeStart {
  bin: string;
  flavour: VeraPdfFlavourOption;
  /** VERAPDF_JAVA_OPTS for the installed launcher. */
  javaOpts: string;
}

/** A veraPDF JVM in server mode: its process group, its pipes and the end of its stderr. */
export class ServerModeProcess {
  /** Set when the launcher could not be spawned (or a pipe failed). */
  spawnError: Error | null = null;
  /** The last STDERR_KEEP_CHARS of stderr. */
  stderrTail = '';
  /** Characters ever written to stderr: a position to take `stderrSince` from. */
  stderrTotal = 0;
  /** Resolves once the process is gone. */
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;
  private readonly events: ServerModeEvents;
  private killTimers: NodeJS.Timeout[] = [];
  private ended = false;
  private markExited: () => void = () => {};

  constructor(start: ServerModeStart, events: ServerModeEvents) {
    this.events = events;
    this.exited = new Promise<void>((resolve) => {
      this.markExited = resolve;
    });
    const child = spawn(start.bin, serverModeArgs(start.flavour), {
      // Its own process group, so that a kill reaches whatever the launcher started.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, VERAPDF_JAVA_OPTS: start.javaOpts },
    });
    this.child = child;

    // A forgotten idle pool must not keep its owner alive; documents in progress hold timers that do.
    child.unref();
    unrefHandle(child.stdin);
    unrefHandle(child.stdout);
    unrefHandle(child.stderr);

    child.stdin?.on('error', () => {
      // EPIPE when the JVM has died: its exit is handled below.
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTotal += chunk.length;
      const joined = this.stderrTail + chunk;
      this.stderrTail = joined.length <= STDERR_KEEP_CHARS ? joined : joined.slice(-STDERR_KEEP_CHARS);
    });
    if (child.stdout) {
      const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
      lines.on('line', (line) => events.line(line.trim()));
    }
    child.on('error', (error) => {
      this.spawnError = error;
      // Not spawned at all: there will be no exit event.
      if (child.pid === undefined) this.end(null, null);
    });
    child.on('close', (code, signal) => this.end(code, signal));
    child.on('exit', (code, signal) => {
      // 'close' waits for the pipes too; should something else hold them, do not wait forever.
      setTimeout(() => this.end(code, signal), KILL_GRACE_MS).unref();
    });
  }

  get gone(): boolean {
    return this.ended;
  }

  /** What it wrote to stderr since `from` (a past stderrTotal), as far as the tail still holds it. */
  stderrSince(from: number): string {
    const chars = Math.max(0, this.stderrTotal - from);
    return chars >= this.stderrTail.length ? this.stderrTail : this.stderrTail.slice(-chars || this.stderrTail.length);
  }

  /** Hands it a document: it starts on it once it is done with the ones before. */
  send(filePath: string): void {
    this.child.stdin?.write(`${filePath}\n`);
  }

  /** Asks it to end (end of input, after what it was handed) and signals it only if it does not. */
  retire(): void {
    const pid = this.child.pid;
    this.child.stdin?.end();
    this.killTimers.push(
      setTimeout(() => signalGroup(pid, 'SIGTERM'), RETIRE_GRACE_MS),
      setTimeout(() => signalGroup(pid, 'SIGKILL'), RETIRE_GRACE_MS + KILL_GRACE_MS),
    );
  }

  /** SIGTERM now, SIGKILL if it is still there after a grace. */
  terminate(): void {
    const pid = this.child.pid;
    signalGroup(pid, 'SIGTERM');
    this.killTimers.push(setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS));
  }

  /** SIGKILL now: the owner is exiting. */
  kill(): void {
    signalGroup(this.child.pid, 'SIGKILL');
  }

  private end(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.ended) return;
    this.ended = true;
    for (const timer of this.killTimers) clearTimeout(timer);
    // Whatever the launcher left in the group (a wrapper that did not exec Java).
    this.kill();
    this.events.gone(code, signal);
    this.markExited();
  }
}
