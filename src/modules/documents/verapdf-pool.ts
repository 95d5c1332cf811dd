/**
 * veraPDF kept warm: a few long-lived JVMs in veraPDF's (undocumented) server mode instead of a
 * JVM per document. Starting veraPDF costs close to a second of CPU before the first check, and
 * its first documents run on cold code; a worker that stays up pays that once. How one JVM is
 * driven, and what server mode does, is in verapdf-server.ts.
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
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createVeraPdf,
  EXIT_CODES_UNAVAILABLE,
  VeraPdfFailedError,
  VeraPdfTimeoutError,
  VeraPdfUnavailableError,
  type VeraPdf,
  type VeraPdfFlavourOption,
  type VeraPdfReport,
} from './verapdf.ts';
import { isReportPath, isSendablePath, readServerReport, ServerModeProcess } from './verapdf-server.ts';

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

const DEFAULT_PREFETCH = 1;
const DEFAULT_MAX_FILES_PER_WORKER = 500;
const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_START_TIMEOUT_MS = 30_000;
/** A document handed ahead to workers that then died goes back to the queue at most this often. */
const MAX_REQUEUES = 3;

/**
 * Why a worker was taken out of service. `recycle`, `idle`, `flavour` (only ever with nothing in
 * hand) retire it gracefully; the others kill it. A timeout, a failure and a recycle count as restarts.
 */
type StopReason = 'timeout' | 'failed' | 'recycle' | 'idle' | 'flavour';

const RETIRES_GRACEFULLY: ReadonlySet<StopReason> = new Set(['recycle', 'idle', 'flavour']);
const COUNTS_AS_RESTART: ReadonlySet<StopReason> = new Set(['timeout', 'failed', 'recycle']);

function defaultSize(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

// ---------------------------------------------------------------------------------------------
// Validations

/** One validate() call, from the queue to its report or error. */
class Validation {
  readonly filePath: string;
  readonly flavour: VeraPdfFlavourOption;
  timer: NodeJS.Timeout | undefined = undefined;
  /** Where the worker's stderr stood when its JVM started on this document. */
  stderrFrom = 0;
  requeues = 0;
  private settled = false;
  private readonly resolve: (report: VeraPdfReport) => void;
  private readonly reject: (error: Error) => void;

  constructor(filePath: string, flavour: VeraPdfFlavourOption, resolve: (report: VeraPdfReport) => void, reject: (error: Error) => void) {
    this.filePath = filePath;
    this.flavour = flavour;
    this.resolve = resolve;
    this.reject = reject;
  }

  settle(outcome: VeraPdfReport | Error): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (outcome instanceof Error) this.reject(outcome);
    else this.resolve(outcome);
  }
}

// ---------------------------------------------------------------------------------------------
// Workers

/** A JVM as the pool sees it: its flavour, its state and the documents it was handed. */
class Worker {
  readonly flavour: VeraPdfFlavourOption;
  /** Its java.io.tmpdir, or null when the path would not survive the launcher's word splitting. */
  readonly dir: string | null;
  readonly process: ServerModeProcess;
  state: 'starting' | 'ready' | 'stopping' = 'starting';
  /** jobs[0] is being validated (once ready); the others were handed ahead. */
  jobs: Validation[] = [];
  /** Documents ever handed to it (bounded by maxFilesPerWorker). */
  assigned = 0;
  /** Reports of it still being read: its temp directory stays until they are. */
  reading = 0;
  /** The document it was killed for (rejected with VeraPdfTimeoutError once the JVM is gone). */
  timedOut: Validation | null = null;
  startTimer: NodeJS.Timeout | undefined = undefined;
  idleTimer: NodeJS.Timeout | undefined = undefined;

  /** `start` spawns its JVM, whose events name this worker. */
  constructor(flavour: VeraPdfFlavourOption, dir: string | null, start: (worker: Worker) => ServerModeProcess) {
    this.flavour = flavour;
    this.dir = dir;
    this.process = start(this);
  }

  /** Takes it out of service: no timers of its own run any more. */
  markStopping(): void {
    this.state = 'stopping';
    clearTimeout(this.startTimer);
    clearTimeout(this.idleTimer);
  }

  removeDirWhenRead(): void {
    if (this.dir && this.reading === 0) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The temp directories of the pool's JVMs, under one of its own made on first use. */
class WorkerDirs {
  private base: string | null = null;

  create(id: number): string | null {
    try {
      this.base ??= mkdtempSync(path.join(os.tmpdir(), 'verapdf-pool-'));
      const dir = path.join(this.base, `w${id}`);
      // The launcher splits VERAPDF_JAVA_OPTS on spaces.
      if (/\s/.test(dir)) return null;
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch {
      return null;
    }
  }

  removeAll(): void {
    if (this.base) rmSync(this.base, { recursive: true, force: true });
  }
}

/** The error of the document a worker was on when its JVM ended unasked. */
function goneError(bin: string, worker: Worker, job: Validation, wasStarting: boolean, code: number | null, signal: NodeJS.Signals | null): Error {
  const { process: jvm } = worker;
  const stderr = wasStarting ? jvm.stderrTail : jvm.stderrSince(job.stderrFrom);
  if (jvm.spawnError) {
    const errno = (jvm.spawnError as NodeJS.ErrnoException).code ?? 'spawn failed';
    return new VeraPdfUnavailableError(`veraPDF cannot be started (${errno}): ${bin}`, { cause: jvm.spawnError });
  }
  if (code !== null && EXIT_CODES_UNAVAILABLE.has(code)) {
    const detail = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 600);
    return new VeraPdfUnavailableError(`veraPDF is not runnable: ${detail || `${bin} exited with ${code}`}`);
  }
  const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
  return new VeraPdfFailedError(wasStarting ? `veraPDF worker ${how} before it was ready` : `veraPDF worker ${how} while validating`, { exitCode: code, stderr });
}

// ---------------------------------------------------------------------------------------------
// The pool

class WorkerPool {
  readonly size: number;
  private readonly bin: string;
  private readonly timeoutMs: number;
  private readonly javaOpts: string | undefined;
  private readonly eager: boolean;
  private readonly prefetch: number;
  private readonly maxFilesPerWorker: number;
  private readonly idleTimeoutMs: number;
  private readonly startTimeoutMs: number;

  /** Workers that count against `size` (not stopping). */
  private readonly live = new Set<Worker>();
  /** Every worker whose process has not ended, stopping ones included. */
  private readonly all = new Set<Worker>();
  private readonly queue: Validation[] = [];
  /** Documents whose report is being read. */
  private readonly collecting = new Set<Validation>();
  private readonly dirs = new WorkerDirs();
  private nextId = 1;
  private started = 0;
  private restarts = 0;
  private closed = false;
  /** The last JVM start failed: keep-warm does not retry until a job asks for a worker. */
  private lastStartFailed = false;

  /**
   * If the owner exits without close(): the JVMs would end at end of input anyway (after the files
   * they have read), but their temp directories would stay.
   */
  readonly onProcessExit = (): void => {
    for (const worker of this.all) worker.process.kill();
    this.dirs.removeAll();
  };

  constructor(options: VeraPdfPoolOptions) {
    this.bin = options.bin;
    this.timeoutMs = options.timeoutMs;
    this.size = options.size ?? defaultSize();
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError(`veraPDF pool size must be a positive integer, not ${this.size}`);
    this.javaOpts = options.javaOpts;
    this.eager = options.eager ?? false;
    this.prefetch = Math.max(0, Math.floor(options.prefetch ?? DEFAULT_PREFETCH));
    this.maxFilesPerWorker = Math.max(1, options.maxFilesPerWorker ?? DEFAULT_MAX_FILES_PER_WORKER);
    this.idleTimeoutMs = this.eager ? 0 : (options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    this.startTimeoutMs = options.startTimeoutMs ?? Math.max(DEFAULT_START_TIMEOUT_MS, this.timeoutMs);
  }

  validate(absolutePath: string, flavour: VeraPdfFlavourOption): Promise<VeraPdfReport> {
    return new Promise<VeraPdfReport>((resolve, reject) => {
      this.queue.push(new Validation(absolutePath, flavour, resolve, reject));
      this.pump();
    });
  }

  // -------------------------------------------------------------------------------------------
  // Scheduling

  /** Hands queued documents to workers, starting workers while fewer than `size` are up. */
  pump(): void {
    if (this.closed) return;
    while (this.queue.length > 0) {
      const job = this.queue[0]!;
      let worker = this.freeWorker(job.flavour);
      if (!worker && this.live.size < this.size) worker = this.startWorker(job.flavour);
      if (!worker) {
        // Every worker is taken or checks another flavour: replace an idle one of another flavour.
        const other = [...this.live].find((candidate) => candidate.state === 'ready' && candidate.jobs.length === 0);
        if (other) {
          this.stopWorker(other, 'flavour');
          continue;
        }
        worker = this.workerWithRoom(job.flavour);
      }
      if (!worker) break;
      this.queue.shift();
      this.assign(worker, job);
    }
    if (this.eager && !this.lastStartFailed) while (this.live.size < this.size) this.startWorker('auto');
  }

  private accepting(worker: Worker, flavour: VeraPdfFlavourOption): boolean {
    return worker.state !== 'stopping' && worker.flavour === flavour && worker.assigned < this.maxFilesPerWorker;
  }

  /** A worker with nothing in hand for `flavour`: a ready one first, else one still starting. */
  private freeWorker(flavour: VeraPdfFlavourOption): Worker | undefined {
    let starting: Worker | undefined;
    for (const worker of this.live) {
      if (worker.jobs.length > 0 || !this.accepting(worker, flavour)) continue;
      if (worker.state === 'ready') return worker;
      starting ??= worker;
    }
    return starting;
  }

  /** A busy worker for `flavour` that may be handed one more document ahead. */
  private workerWithRoom(flavour: VeraPdfFlavourOption): Worker | undefined {
    let best: Worker | undefined;
    for (const worker of this.live) {
      if (!this.accepting(worker, flavour) || worker.jobs.length > this.prefetch) continue;
      if (!best || worker.jobs.length < best.jobs.length) best = worker;
    }
    return best;
  }

  private assign(worker: Worker, job: Validation): void {
    worker.jobs.push(job);
    worker.assigned += 1;
    clearTimeout(worker.idleTimer);
    if (worker.state === 'ready') {
      worker.process.send(job.filePath);
      if (worker.jobs.length === 1) this.startHead(worker);
    }
  }

  /** The JVM starts on the first of its documents: its clock starts. */
  private startHead(worker: Worker): void {
    const job = worker.jobs[0];
    if (!job) return;
    job.stderrFrom = worker.process.stderrTotal;
    clearTimeout(job.timer);
    job.timer = setTimeout(() => {
      if (worker.jobs[0] !== job || worker.state !== 'ready') return;
      worker.jobs.shift();
      worker.timedOut = job;
      this.stopWorker(worker, 'timeout');
      this.pump();
    }, this.timeoutMs);
  }

  private becameIdle(worker: Worker): void {
    clearTimeout(worker.idleTimer);
    if (this.idleTimeoutMs > 0) {
      worker.idleTimer = setTimeout(() => {
        if (worker.state === 'ready' && worker.jobs.length === 0) this.stopWorker(worker, 'idle');
      }, this.idleTimeoutMs);
      worker.idleTimer.unref();
    }
  }

  /** Documents handed ahead to a worker that is going away go back to the front of the queue. */
  private requeue(jobs: Validation[]): void {
    const back: Validation[] = [];
    for (const job of jobs) {
      clearTimeout(job.timer);
      job.requeues += 1;
      if (job.requeues > MAX_REQUEUES) job.settle(new VeraPdfFailedError(`veraPDF workers ended ${job.requeues} times before reaching this file`));
      else back.push(job);
    }
    this.queue.unshift(...back);
  }

  // -------------------------------------------------------------------------------------------
  // A worker's life: start, reports, stop, end

  private startWorker(flavour: VeraPdfFlavourOption): Worker {
    const id = this.nextId++;
    const dir = this.dirs.create(id);
    const javaOpts = [process.env.VERAPDF_JAVA_OPTS, dir ? `-Djava.io.tmpdir=${dir}` : null, this.javaOpts]
      .filter((part): part is string => Boolean(part && part.trim()))
      .join(' ');
    const worker = new Worker(flavour, dir, (self) =>
      new ServerModeProcess({ bin: this.bin, flavour, javaOpts }, { line: (line) => this.onLine(self, line), gone: (code, signal) => this.onGone(self, code, signal) }),
    );
    this.started += 1;
    this.live.add(worker);
    this.all.add(worker);
    worker.startTimer = setTimeout(() => {
      if (worker.state !== 'starting') return;
      this.lastStartFailed = true;
      this.failHead(worker, new VeraPdfFailedError(`veraPDF worker did not start within ${this.startTimeoutMs} ms`, { stderr: worker.process.stderrTail }));
      this.stopWorker(worker, 'failed');
      this.pump();
    }, this.startTimeoutMs);
    return worker;
  }

  private onLine(worker: Worker, line: string): void {
    if (worker.process.gone || worker.state === 'stopping') return;
    if (worker.state === 'starting') this.onStarted(worker, line);
    else this.onReportLine(worker, line);
  }

  /** Its first line: the empty report of the empty list, or something that means it is broken. */
  private onStarted(worker: Worker, line: string): void {
    clearTimeout(worker.startTimer);
    if (!isReportPath(line)) {
      this.failHead(worker, new VeraPdfFailedError(`veraPDF worker printed ${JSON.stringify(line.slice(0, 120))} instead of a report path on start`, { stderr: worker.process.stderrTail }));
      this.stopWorker(worker, 'failed');
      this.pump();
      return;
    }
    void unlink(line).catch(() => {});
    this.lastStartFailed = false;
    worker.state = 'ready';
    for (const job of worker.jobs) worker.process.send(job.filePath);
    if (worker.jobs.length > 0) this.startHead(worker);
    else this.becameIdle(worker);
    this.pump();
  }

  /** The path of the report on the document it was on; it goes on with the next one it holds. */
  private onReportLine(worker: Worker, line: string): void {
    const job = worker.jobs.shift();
    if (!job) {
      // Output nobody asked for: the worker is out of step.
      this.stopWorker(worker, 'failed');
      this.pump();
      return;
    }
    clearTimeout(job.timer);
    if (!isReportPath(line)) {
      const stderr = worker.process.stderrSince(job.stderrFrom);
      job.settle(new VeraPdfFailedError(`veraPDF worker printed ${JSON.stringify(line.slice(0, 120))} instead of a report path`, { stderr }));
      this.stopWorker(worker, 'failed');
      this.pump();
      return;
    }
    const stderrFrom = job.stderrFrom;
    if (worker.jobs.length > 0) this.startHead(worker);
    else if (worker.assigned >= this.maxFilesPerWorker) this.stopWorker(worker, 'recycle');
    else this.becameIdle(worker);
    void this.collect(worker, job, line, stderrFrom);
    this.pump();
  }

  private async collect(worker: Worker, job: Validation, reportPath: string, stderrFrom: number): Promise<void> {
    this.collecting.add(job);
    worker.reading += 1;
    try {
      const { outcome, retireWorker } = await readServerReport(reportPath, job.filePath, () => worker.process.stderrSince(stderrFrom));
      job.settle(outcome);
      if (retireWorker) {
        this.stopWorker(worker, 'failed');
        this.pump();
      }
    } finally {
      this.collecting.delete(job);
      worker.reading -= 1;
      if (worker.process.gone) worker.removeDirWhenRead();
    }
  }

  /** Rejects the document the worker is on (or starting for); the caller stops the worker. */
  private failHead(worker: Worker, error: Error): void {
    worker.jobs.shift()?.settle(error);
  }

  /** Takes the worker out of service; what it had been handed goes back to the queue. */
  private stopWorker(worker: Worker, reason: StopReason): void {
    if (worker.process.gone || worker.state === 'stopping') return;
    worker.markStopping();
    this.live.delete(worker);
    this.requeue(worker.jobs.splice(0));
    if (COUNTS_AS_RESTART.has(reason)) this.restarts += 1;
    if (RETIRES_GRACEFULLY.has(reason)) worker.process.retire();
    else worker.process.terminate();
  }

  private onGone(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const unexpected = worker.state !== 'stopping';
    const wasStarting = worker.state === 'starting';
    clearTimeout(worker.startTimer);
    clearTimeout(worker.idleTimer);
    this.live.delete(worker);
    this.all.delete(worker);
    worker.removeDirWhenRead();

    if (worker.timedOut) worker.timedOut.settle(new VeraPdfTimeoutError(this.timeoutMs));
    if (unexpected) {
      const head = worker.jobs.shift();
      if (head) head.settle(goneError(this.bin, worker, head, wasStarting, code, signal));
      this.requeue(worker.jobs.splice(0));
      if (wasStarting) this.lastStartFailed = true;
      else this.restarts += 1;
    }
    this.pump();
  }

  // -------------------------------------------------------------------------------------------
  // Closing and counting

  close(): Promise<void> {
    this.closed = true;
    const shut = new VeraPdfUnavailableError('closed');
    for (const job of this.queue.splice(0)) job.settle(shut);
    for (const job of this.collecting) job.settle(shut);
    const waits: Promise<void>[] = [];
    for (const worker of this.all) {
      for (const job of worker.jobs.splice(0)) job.settle(shut);
      // A document whose worker is already being killed for taking too long keeps that verdict.
      if (worker.timedOut) worker.timedOut.settle(new VeraPdfTimeoutError(this.timeoutMs));
      if (worker.state !== 'stopping') {
        worker.markStopping();
        this.live.delete(worker);
      }
      // Stopping ones too: a retiring worker need not be given its grace.
      worker.process.terminate();
      waits.push(worker.process.exited);
    }
    return Promise.all(waits).then(() => {
      process.removeListener('exit', this.onProcessExit);
      this.dirs.removeAll();
    });
  }

  stats(): VeraPdfPoolStats {
    let busy = 0;
    let handedAhead = 0;
    for (const worker of this.all) {
      if (worker.jobs.length === 0) continue;
      busy += 1;
      handedAhead += worker.jobs.length - 1;
    }
    return { size: this.size, busy, queued: this.queue.length + handedAhead, started: this.started, restarts: this.restarts };
  }
}

export function createVeraPdfPool(options: VeraPdfPoolOptions): VeraPdfPool {
  const pool = new WorkerPool(options);
  const oneShot = createVeraPdf({ bin: options.bin, timeoutMs: options.timeoutMs });
  let versionPromise: Promise<string> | null = null;
  let closing: Promise<void> | null = null;
  process.once('exit', pool.onProcessExit);
  if (options.eager ?? false) pool.pump();

  return {
    size: pool.size,

    version() {
      versionPromise ??= oneShot.version().catch((error: unknown) => {
        versionPromise = null;
        throw error;
      });
      return versionPromise;
    },

    validate(filePath, validateOptions = {}) {
      if (closing) return Promise.reject(new VeraPdfUnavailableError('closed'));
      const flavour = validateOptions.flavour ?? 'auto';
      // Absolute, as with the one-shot adapter (and veraPDF resolves against its own cwd).
      const absolute = path.resolve(filePath);
      if (!isSendablePath(absolute)) return oneShot.validate(absolute, { flavour });
      return pool.validate(absolute, flavour);
    },

    close() {
      closing ??= pool.close();
      return closing;
    },

    stats: () => pool.stats(),
  };
}
