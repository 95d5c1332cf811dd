/**
 * veraPDF kept warm: a few long-lived JVMs in veraPDF's (undocumented) server mode instead of a
 * JVM per document. Starting veraPDF costs close to a second of CPU before the first check, and
 * its first documents run on cold code; a worker that stays up pays that once.
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
 *
 * Each worker validates one document at a time; the pool also hands it the next one ahead
 * (`prefetch`), which waits in the JVM's stdin, so that the JVM goes on without waiting for Node to
 * read the last report and send a path (on a loaded machine each such hand-off costs a scheduling
 * delay, which for small files is as long as the check). A document's timeout starts when its JVM
 * starts on it. When a worker dies or is killed, the documents it had been handed ahead go back to
 * the front of the queue: only the one it was validating gets the error.
 *
 * Errors are those of the one-shot adapter (verapdf.ts): VeraPdfUnavailableError (cannot be
 * started, or the pool is closed), VeraPdfTimeoutError (the worker was killed), VeraPdfFailedError
 * (crash, unusable output, no report). A document veraPDF cannot read is a report, not an error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {
  createVeraPdf,
  parseVeraPdfJson,
  VeraPdfFailedError,
  VeraPdfTimeoutError,
  VeraPdfUnavailableError,
  type VeraPdf,
  type VeraPdfFlavourOption,
  type VeraPdfReport,
} from './verapdf.ts';

export interface VeraPdfPool extends VeraPdf {
  /** Stops every JVM; pending validations reject with VeraPdfUnavailableError('closed'). */
  close(): Promise<void>;
  readonly size: number;
  stats(): VeraPdfPoolStats;
}

export interface VeraPdfPoolStats {
  /** How many validations may run at once (JVMs kept). */
  size: number;
  /** Validations running (or whose worker is starting for them): at most `size`. */
  busy: number;
  /** Validations waiting: in the queue, or handed ahead to a busy worker. */
  queued: number;
  /** JVMs started so far. */
  started: number;
  /** Workers replaced after a timeout, a crash, unusable output or their quota of files. */
  restarts: number;
}

export interface VeraPdfPoolOptions {
  bin: string;
  /** Per document, from the moment its JVM starts on it (JVM start-up not included). */
  timeoutMs: number;
  /** Default: max(1, min(4, os.availableParallelism())). */
  size?: number;
  /** Extra JVM flags (VERAPDF_JAVA_OPTS for the installed launcher; last, so they win). */
  javaOpts?: string;
  /** Start all workers now instead of on first use, and keep them up (no idle stop). Default false. */
  eager?: boolean;
  /** Documents handed to a busy worker ahead of time (0: none). Default 1. */
  prefetch?: number;
  /** A worker is replaced after this many documents, to bound JVM heap and log growth. Default 500. */
  maxFilesPerWorker?: number;
  /** An idle worker is stopped after this long (0: never). Default 10 minutes; ignored when eager. */
  idleTimeoutMs?: number;
  /** How long a JVM may take to start (print its first line). Default max(30 s, timeoutMs). */
  startTimeoutMs?: number;
}

/** The flags of the one-shot adapter (createVeraPdf), minus the file. */
const FAILURES_DISPLAYED_PER_RULE = 10;
const DEFAULT_PREFETCH = 1;
const DEFAULT_MAX_FILES_PER_WORKER = 500;
const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_START_TIMEOUT_MS = 30_000;
/** After SIGTERM (the JVM exits within milliseconds), SIGKILL after this long. */
const KILL_GRACE_MS = 2_000;
/** A retiring worker is given this long to exit on end of input before it is signalled. */
const RETIRE_GRACE_MS = 5_000;
/** A document handed ahead to workers that then died goes back to the queue at most this often. */
const MAX_REQUEUES = 3;
/** The stderr kept per worker (for VeraPdfFailedError). */
const STDERR_KEEP_CHARS = 16 * 1024;
/** The end-of-line characters of java.util.Scanner.nextLine(): a path holding one cannot be sent. */
const LINE_BREAKS = /[\n\r\u2028\u2029\u0085]/;
/** What veraPDF prints per document: the absolute path of its temp report. */
const REPORT_LINE = /^\/.*\/tempReport\d+\.xml$/;
/** The launcher's and the shell's "command not found" / "cannot execute". */
const EXIT_CODES_UNAVAILABLE = new Set([126, 127]);

type StopReason = 'timeout' | 'failed' | 'recycle' | 'idle' | 'flavour' | 'closed';

interface Job {
  filePath: string;
  flavour: VeraPdfFlavourOption;
  resolve: (report: VeraPdfReport) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
  /** Where the worker's stderr stood when its JVM started on this document. */
  stderrFrom: number;
  requeues: number;
}

interface Worker {
  id: number;
  flavour: VeraPdfFlavourOption;
  child: ChildProcess;
  /** Its java.io.tmpdir, or null when the path would not survive the launcher's word splitting. */
  dir: string | null;
  state: 'starting' | 'ready' | 'stopping';
  /** jobs[0] is being validated (once ready); the others were handed ahead. */
  jobs: Job[];
  /** Documents ever handed to it (bounded by maxFilesPerWorker). */
  assigned: number;
  /** Reports of it still being read: its temp directory stays until they are. */
  reading: number;
  stderrTail: string;
  stderrTotal: number;
  stopReason: StopReason | null;
  /** The document it was killed for (rejected with VeraPdfTimeoutError once the JVM is gone). */
  timedOut: Job | null;
  spawnError: Error | null;
  startTimer: NodeJS.Timeout | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  killTimers: NodeJS.Timeout[];
  gone: boolean;
  exited: Promise<void>;
  markExited: () => void;
}

function defaultSize(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/** Signals the worker's whole process group (it is started detached, as its group leader). */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group has already exited.
  }
}

function unrefHandle(stream: unknown): void {
  const handle = stream as { unref?: () => void } | null;
  handle?.unref?.();
}

function stderrSince(worker: Worker, from: number): string {
  const chars = Math.max(0, worker.stderrTotal - from);
  return chars >= worker.stderrTail.length ? worker.stderrTail : worker.stderrTail.slice(-chars || worker.stderrTail.length);
}

export function createVeraPdfPool(options: VeraPdfPoolOptions): VeraPdfPool {
  const { bin, timeoutMs } = options;
  const size = options.size ?? defaultSize();
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`veraPDF pool size must be a positive integer, not ${size}`);
  const eager = options.eager ?? false;
  const prefetch = Math.max(0, Math.floor(options.prefetch ?? DEFAULT_PREFETCH));
  const maxFilesPerWorker = Math.max(1, options.maxFilesPerWorker ?? DEFAULT_MAX_FILES_PER_WORKER);
  const idleTimeoutMs = eager ? 0 : (options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
  const startTimeoutMs = options.startTimeoutMs ?? Math.max(DEFAULT_START_TIMEOUT_MS, timeoutMs);
  const oneShot = createVeraPdf({ bin, timeoutMs });

  /** Workers that count against `size` (not stopping). */
  const live = new Set<Worker>();
  /** Every worker whose process has not ended, stopping ones included. */
  const all = new Set<Worker>();
  const queue: Job[] = [];
  /** Documents whose report is being read. */
  const collecting = new Set<Job>();
  let nextId = 1;
  let started = 0;
  let restarts = 0;
  let closed = false;
  let closing: Promise<void> | null = null;
  let versionPromise: Promise<string> | null = null;
  let baseDir: string | null = null;
  /** The last JVM start failed: keep-warm does not retry until a job asks for a worker. */
  let lastStartFailed = false;

  // If the owner exits without close(): the JVMs would end at end of input anyway (after the files
  // they have read), but their temp directories would stay.
  const onProcessExit = (): void => {
    for (const worker of all) signalGroup(worker.child.pid, 'SIGKILL');
    if (baseDir) rmSync(baseDir, { recursive: true, force: true });
  };
  process.once('exit', onProcessExit);

  function workerDir(id: number): string | null {
    try {
      baseDir ??= mkdtempSync(path.join(os.tmpdir(), 'verapdf-pool-'));
      const dir = path.join(baseDir, `w${id}`);
      // The launcher splits VERAPDF_JAVA_OPTS on spaces.
      if (/\s/.test(dir)) return null;
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch {
      return null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Workers

  function startWorker(flavour: VeraPdfFlavourOption): Worker {
    const id = nextId++;
    const dir = workerDir(id);
    const javaOpts = [process.env.VERAPDF_JAVA_OPTS, dir ? `-Djava.io.tmpdir=${dir}` : null, options.javaOpts]
      .filter((part): part is string => Boolean(part && part.trim()))
      .join(' ');
    const args = [
      '--servermode',
      '--format', 'json',
      '--flavour', flavour === 'auto' ? '0' : flavour,
      '--defaultflavour', '1b',
      '--maxfailuresdisplayed', String(FAILURES_DISPLAYED_PER_RULE),
      '--nonpdfext',
    ];
    const child = spawn(bin, args, {
      // Its own process group, so that a kill reaches whatever the launcher started.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, VERAPDF_JAVA_OPTS: javaOpts },
    });
    started += 1;
    let markExited = (): void => {};
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const worker: Worker = {
      id,
      flavour,
      child,
      dir,
      state: 'starting',
      jobs: [],
      assigned: 0,
      reading: 0,
      stderrTail: '',
      stderrTotal: 0,
      stopReason: null,
      timedOut: null,
      spawnError: null,
      startTimer: undefined,
      idleTimer: undefined,
      killTimers: [],
      gone: false,
      exited,
      markExited,
    };
    live.add(worker);
    all.add(worker);

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
      worker.stderrTotal += chunk.length;
      const joined = worker.stderrTail + chunk;
      worker.stderrTail = joined.length <= STDERR_KEEP_CHARS ? joined : joined.slice(-STDERR_KEEP_CHARS);
    });
    if (child.stdout) {
      const lines = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
      lines.on('line', (line) => onLine(worker, line.trim()));
    }
    child.on('error', (error) => {
      worker.spawnError = error;
      // Not spawned at all: there will be no exit event.
      if (child.pid === undefined) onGone(worker, null, null);
    });
    child.on('close', (code, signal) => onGone(worker, code, signal));
    child.on('exit', (code, signal) => {
      // 'close' waits for the pipes too; should something else hold them, do not wait forever.
      setTimeout(() => onGone(worker, code, signal), KILL_GRACE_MS).unref();
    });

    worker.startTimer = setTimeout(() => {
      if (worker.state !== 'starting') return;
      lastStartFailed = true;
      failHead(worker, new VeraPdfFailedError(`veraPDF worker did not start within ${startTimeoutMs} ms`, { stderr: worker.stderrTail }));
      stopWorker(worker, 'failed');
      pump();
    }, startTimeoutMs);
    return worker;
  }

  function onLine(worker: Worker, line: string): void {
    if (worker.gone || worker.state === 'stopping') return;
    if (worker.state === 'starting') {
      clearTimeout(worker.startTimer);
      if (!REPORT_LINE.test(line)) {
        failHead(worker, new VeraPdfFailedError(`veraPDF worker printed ${JSON.stringify(line.slice(0, 120))} instead of a report path on start`, { stderr: worker.stderrTail }));
        stopWorker(worker, 'failed');
        pump();
        return;
      }
      void unlink(line).catch(() => {});
      lastStartFailed = false;
      worker.state = 'ready';
      for (const job of worker.jobs) write(worker, job);
      if (worker.jobs.length > 0) startHead(worker);
      else becameIdle(worker);
      pump();
      return;
    }
    const job = worker.jobs.shift();
    if (!job) {
      // Output nobody asked for: the worker is out of step.
      stopWorker(worker, 'failed');
      pump();
      return;
    }
    clearTimeout(job.timer);
    if (!REPORT_LINE.test(line)) {
      const stderr = stderrSince(worker, job.stderrFrom);
      settle(job, new VeraPdfFailedError(`veraPDF worker printed ${JSON.stringify(line.slice(0, 120))} instead of a report path`, { stderr }));
      stopWorker(worker, 'failed');
      pump();
      return;
    }
    const stderrFrom = job.stderrFrom;
    if (worker.jobs.length > 0) startHead(worker);
    else if (worker.assigned >= maxFilesPerWorker) stopWorker(worker, 'recycle');
    else becameIdle(worker);
    void collect(worker, job, line, stderrFrom);
    pump();
  }

  /** Reads (and deletes) the report veraPDF wrote for `job`. */
  async function collect(worker: Worker, job: Job, reportPath: string, stderrFrom: number): Promise<void> {
    collecting.add(job);
    worker.reading += 1;
    try {
      let text: string;
      try {
        text = await readFile(reportPath, 'utf8');
      } catch (error) {
        settle(job, new VeraPdfFailedError(`veraPDF's report ${reportPath} cannot be read`, { stderr: stderrSince(worker, stderrFrom), cause: error }));
        stopWorker(worker, 'failed');
        pump();
        return;
      }
      await unlink(reportPath).catch(() => {});
      if (text.trim() === '') {
        // The file was not processed at all (it does not exist, is a directory, …). veraPDF logged
        // why just before printing the path, on the other pipe: give it a moment to arrive.
        await new Promise((resolve) => setTimeout(resolve, 20));
        const stderr = stderrSince(worker, stderrFrom);
        const records = stderr.split(/\n(?=\S+ \d+, \d{4} )/).filter((record) => record.includes(job.filePath));
        settle(job, new VeraPdfFailedError('veraPDF processed no file (it does not exist or is not a regular file)', { stderr: records.length > 0 ? records.join('\n') : stderr }));
        return;
      }
      let reports: VeraPdfReport[];
      try {
        reports = parseVeraPdfJson(text);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        settle(job, new VeraPdfFailedError(message, { stderr: stderrSince(worker, stderrFrom), cause: error }));
        stopWorker(worker, 'failed');
        pump();
        return;
      }
      const [report] = reports;
      if (reports.length !== 1 || !report) {
        settle(job, new VeraPdfFailedError(`veraPDF reported ${reports.length} jobs for one file`, { stderr: stderrSince(worker, stderrFrom) }));
        stopWorker(worker, 'failed');
        pump();
        return;
      }
      settle(job, report);
      // After an OutOfMemoryError the JVM is best not trusted with the next document.
      if (report.problem === 'out_of_memory') {
        stopWorker(worker, 'failed');
        pump();
      }
    } finally {
      collecting.delete(job);
      worker.reading -= 1;
      if (worker.gone) removeDir(worker);
    }
  }

  function removeDir(worker: Worker): void {
    if (worker.dir && worker.reading === 0) rmSync(worker.dir, { recursive: true, force: true });
  }

  function assign(worker: Worker, job: Job): void {
    worker.jobs.push(job);
    worker.assigned += 1;
    clearTimeout(worker.idleTimer);
    if (worker.state === 'ready') {
      write(worker, job);
      if (worker.jobs.length === 1) startHead(worker);
    }
  }

  function write(worker: Worker, job: Job): void {
    worker.child.stdin?.write(`${job.filePath}\n`);
  }

  /** The JVM starts on the first of its documents: its clock starts. */
  function startHead(worker: Worker): void {
    const job = worker.jobs[0];
    if (!job) return;
    job.stderrFrom = worker.stderrTotal;
    clearTimeout(job.timer);
    job.timer = setTimeout(() => {
      if (worker.jobs[0] !== job || worker.state !== 'ready') return;
      worker.jobs.shift();
      worker.timedOut = job;
      stopWorker(worker, 'timeout');
      pump();
    }, timeoutMs);
  }

  /** Rejects the document the worker is on (or starting for); the caller stops the worker. */
  function failHead(worker: Worker, error: Error): void {
    const job = worker.jobs.shift();
    if (job) settle(job, error);
  }

  function settle(job: Job, outcome: VeraPdfReport | Error): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
  }

  function becameIdle(worker: Worker): void {
    clearTimeout(worker.idleTimer);
    if (idleTimeoutMs > 0) {
      worker.idleTimer = setTimeout(() => {
        if (worker.state === 'ready' && worker.jobs.length === 0) stopWorker(worker, 'idle');
      }, idleTimeoutMs);
      worker.idleTimer.unref();
    }
  }

  /** Documents handed ahead to a worker that is going away go back to the front of the queue. */
  function requeue(jobs: Job[]): void {
    const back: Job[] = [];
    for (const job of jobs) {
      clearTimeout(job.timer);
      job.requeues += 1;
      if (job.requeues > MAX_REQUEUES) settle(job, new VeraPdfFailedError(`veraPDF workers ended ${job.requeues} times before reaching this file`));
      else back.push(job);
    }
    queue.unshift(...back);
  }

  /**
   * Takes the worker out of service; what it had been handed goes back to the queue. `recycle`,
   * `idle`, `flavour` (only ever with nothing in hand): it is asked to end (end of input) and
   * signalled only if it does not. The others kill its process group now.
   */
  function stopWorker(worker: Worker, reason: StopReason): void {
    if (worker.gone || worker.state === 'stopping') return;
    worker.stopReason = reason;
    worker.state = 'stopping';
    clearTimeout(worker.startTimer);
    clearTimeout(worker.idleTimer);
    live.delete(worker);
    requeue(worker.jobs.splice(0));
    if (reason === 'timeout' || reason === 'failed' || reason === 'recycle') restarts += 1;
    const pid = worker.child.pid;
    if (reason === 'recycle' || reason === 'idle' || reason === 'flavour') {
      worker.child.stdin?.end();
      worker.killTimers.push(
        setTimeout(() => signalGroup(pid, 'SIGTERM'), RETIRE_GRACE_MS),
        setTimeout(() => signalGroup(pid, 'SIGKILL'), RETIRE_GRACE_MS + KILL_GRACE_MS),
      );
    } else {
      signalGroup(pid, 'SIGTERM');
      worker.killTimers.push(setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS));
    }
  }

  function onGone(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    if (worker.gone) return;
    worker.gone = true;
    const unexpected = worker.state !== 'stopping';
    const wasStarting = worker.state === 'starting';
    clearTimeout(worker.startTimer);
    clearTimeout(worker.idleTimer);
    for (const timer of worker.killTimers) clearTimeout(timer);
    // Whatever the launcher left in the group (a wrapper that did not exec Java).
    signalGroup(worker.child.pid, 'SIGKILL');
    live.delete(worker);
    all.delete(worker);
    removeDir(worker);

    if (worker.timedOut) settle(worker.timedOut, new VeraPdfTimeoutError(timeoutMs));
    if (unexpected) {
      const head = worker.jobs.shift();
      if (head) settle(head, goneError(worker, head, wasStarting, code, signal));
      requeue(worker.jobs.splice(0));
      if (wasStarting) lastStartFailed = true;
      else restarts += 1;
    }
    worker.markExited();
    pump();
  }

  function goneError(worker: Worker, job: Job, wasStarting: boolean, code: number | null, signal: NodeJS.Signals | null): Error {
    const stderr = wasStarting ? worker.stderrTail : stderrSince(worker, job.stderrFrom);
    if (worker.spawnError) {
      const errno = (worker.spawnError as NodeJS.ErrnoException).code ?? 'spawn failed';
      return new VeraPdfUnavailableError(`veraPDF cannot be started (${errno}): ${bin}`, { cause: worker.spawnError });
    }
    if (code !== null && EXIT_CODES_UNAVAILABLE.has(code)) {
      const detail = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 600);
      return new VeraPdfUnavailableError(`veraPDF is not runnable: ${detail || `${bin} exited with ${code}`}`);
    }
    const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
    return new VeraPdfFailedError(wasStarting ? `veraPDF worker ${how} before it was ready` : `veraPDF worker ${how} while validating`, { exitCode: code, stderr });
  }

  // -------------------------------------------------------------------------------------------
  // Scheduling

  const accepting = (worker: Worker, flavour: VeraPdfFlavourOption) =>
    worker.state !== 'stopping' && worker.flavour === flavour && worker.assigned < maxFilesPerWorker;

  /** Hands queued documents to workers, starting workers while fewer than `size` are up. */
  function pump(): void {
    if (closed) return;
    while (queue.length > 0) {
      const job = queue[0]!;
      let worker = freeWorker(job.flavour);
      if (!worker && live.size < size) worker = startWorker(job.flavour);
      if (!worker) {
        // Every worker is taken or checks another flavour: replace an idle one of another flavour.
        const other = [...live].find((candidate) => candidate.state === 'ready' && candidate.jobs.length === 0);
        if (other) {
          stopWorker(other, 'flavour');
          continue;
        }
        worker = workerWithRoom(job.flavour);
      }
      if (!worker) break;
      queue.shift();
      assign(worker, job);
    }
    if (eager && !lastStartFailed) while (live.size < size) startWorker('auto');
  }

  /** A worker with nothing in hand for `flavour`: a ready one first, else one still starting. */
  function freeWorker(flavour: VeraPdfFlavourOption): Worker | undefined {
    let starting: Worker | undefined;
    for (const worker of live) {
      if (worker.jobs.length > 0 || !accepting(worker, flavour)) continue;
      if (worker.state === 'ready') return worker;
      starting ??= worker;
    }
    return starting;
  }

  /** A busy worker for `flavour` that may be handed one more document ahead. */
  function workerWithRoom(flavour: VeraPdfFlavourOption): Worker | undefined {
    let best: Worker | undefined;
    for (const worker of live) {
      if (!accepting(worker, flavour) || worker.jobs.length > prefetch) continue;
      if (!best || worker.jobs.length < best.jobs.length) best = worker;
    }
    return best;
  }

  if (eager) pump();

  return {
    size,

    version() {
      versionPromise ??= oneShot.version().catch((error: unknown) => {
        versionPromise = null;
        throw error;
      });
      return versionPromise;
    },

    validate(filePath, validateOptions = {}) {
      if (closed) return Promise.reject(new VeraPdfUnavailableError('closed'));
      const flavour = validateOptions.flavour ?? 'auto';
      // Absolute, as with the one-shot adapter (and veraPDF resolves against its own cwd).
      const absolute = path.resolve(filePath);
      // Server mode reads one path per line: a name with a line break cannot be sent.
      if (LINE_BREAKS.test(absolute)) return oneShot.validate(absolute, { flavour });
      return new Promise<VeraPdfReport>((resolve, reject) => {
        queue.push({ filePath: absolute, flavour, resolve, reject, timer: undefined, settled: false, stderrFrom: 0, requeues: 0 });
        pump();
      });
    },

    close() {
      if (closing) return closing;
      closed = true;
      const shut = new VeraPdfUnavailableError('closed');
      for (const job of queue.splice(0)) settle(job, shut);
      for (const job of collecting) settle(job, shut);
      const waits: Promise<void>[] = [];
      for (const worker of all) {
        for (const job of worker.jobs.splice(0)) settle(job, shut);
        // A document whose worker is already being killed for taking too long keeps that verdict.
        if (worker.timedOut) settle(worker.timedOut, new VeraPdfTimeoutError(timeoutMs));
        if (worker.state !== 'stopping') {
          worker.stopReason = 'closed';
          worker.state = 'stopping';
          live.delete(worker);
          clearTimeout(worker.startTimer);
          clearTimeout(worker.idleTimer);
        }
        // Stopping ones too: a retiring worker need not be given its grace.
        const pid = worker.child.pid;
        signalGroup(pid, 'SIGTERM');
        worker.killTimers.push(setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS));
        waits.push(worker.exited);
      }
      closing = Promise.all(waits).then(() => {
        process.removeListener('exit', onProcessExit);
        if (baseDir) rmSync(baseDir, { recursive: true, force: true });
      });
      return closing;
    },

    stats() {
      let busy = 0;
      let handedAhead = 0;
      for (const worker of all) {
        if (worker.jobs.length === 0) continue;
        busy += 1;
        handedAhead += worker.jobs.length - 1;
      }
      return { size, busy, queued: queue.length + handedAhead, started, restarts };
    },
  };
}
