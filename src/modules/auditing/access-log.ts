/**
 * The access log (004 §16.4: access to the object's information is registered): who opened which
 * object page, downloaded which document or extract, took which export. A request only appends to
 * a buffer in memory — no round trip on its path — and the buffer goes to the database in one
 * INSERT a second later or at 500 records, whichever comes first, and at shutdown. What a crash
 * can lose is the last second's reads, never a change: changes are in the audit log, written in
 * their own transaction.
 */
import type { Kysely } from 'kysely';
import type { AccessKind, Database } from '../../db/database.ts';
import { type AccessRecord, insertAccessEvents } from './auditing.repository.ts';

export interface AccessLog {
  /** Who read what; `actor` null for an anonymous reader. Never throws, never waits. */
  record(entry: { actor: { id: string; organizationId: string | null } | null; kind: AccessKind; entityId: string; objectId?: string | null; requestId?: string | null }): void;
  /** Writes what is buffered now. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

export interface AccessLogOptions {
  flushIntervalMs?: number;
  maxBatch?: number;
  /** Where a failed write is told (the records stay buffered for the next try, up to a bound). */
  onError?: (error: unknown) => void;
}

/** Past this many buffered records (the database unreachable for long), the oldest are dropped and counted. */
const MAX_BUFFERED = 50_000;

export function createAccessLog(db: Kysely<Database>, options: AccessLogOptions = {}): AccessLog & { dropped(): number } {
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const maxBatch = options.maxBatch ?? 500;
  let buffer: AccessRecord[] = [];
  let dropped = 0;
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  /** Writes full batches only, or everything when `all` (the timer, a flush, shutdown): a busy portal writes 500 at a time, not whatever came in during the last write. */
  async function write(all: boolean): Promise<void> {
    while (buffer.length >= (all ? 1 : maxBatch)) {
      const batch = buffer.slice(0, maxBatch);
      try {
        await insertAccessEvents(db, batch);
        buffer = buffer.slice(batch.length);
      } catch (error) {
        options.onError?.(error);
        return;
      }
    }
  }

  function start(all: boolean): Promise<void> {
    if (all && timer) {
      clearTimeout(timer);
      timer = null;
    }
    writing ??= write(all).finally(() => {
      writing = null;
      // What came in meanwhile waits for the next full batch or the timer.
      if (buffer.length > 0) timer ??= setTimeout(() => void start(true), flushIntervalMs).unref();
    });
    return writing;
  }

  async function flush(): Promise<void> {
    await writing;
    await start(true);
  }

  return {
    record(entry) {
      buffer.push({
        occurredAt: new Date(),
        userId: entry.actor?.id ?? null,
        organizationId: entry.actor?.organizationId ?? null,
        kind: entry.kind,
        entityId: entry.entityId,
        objectId: entry.objectId ?? null,
        requestId: entry.requestId ?? null,
      });
      if (buffer.length > MAX_BUFFERED) {
        dropped += buffer.length - MAX_BUFFERED;
        buffer = buffer.slice(buffer.length - MAX_BUFFERED);
      }
      if (buffer.length >= maxBatch) void start(false);
      else timer ??= setTimeout(() => void start(true), flushIntervalMs).unref();
    },
    flush,
    close: flush,
    dropped: () => dropped,
  };
}
