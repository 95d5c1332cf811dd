import type { Kysely } from 'kysely';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { createDocumentStore, type DocumentStore } from './modules/documents/store.ts';
import { createVeraPdf, type VeraPdf } from './modules/documents/verapdf.ts';
import { type AccessLog, createAccessLog } from './modules/auditing/access-log.ts';
import { createPageCache, type PageCache } from './web/page-cache.ts';

/** Everything the app needs from outside; the server builds it from config, tests build their own. */
export interface AppDependencies {
  config: Config;
  db: Kysely<Database>;
  veraPdf: VeraPdf;
  /** Uploaded documents, content-addressed, in the data directory. */
  store: DocumentStore;
  /** The veraPDF check worker, woken after an upload; null where none runs (it then finds the upload at its next sweep). */
  documentChecks: { wake(): void } | null;
  /** Rendered object pages, kept by the stamps of what they show (src/web/page-cache.ts). */
  pageCache: PageCache;
  /** Reads to register (004 §16.4), written in batches off the request path (src/modules/auditing/access-log.ts). */
  accessLog: AccessLog;
}

/** The dependencies for a config and a database, with the one-JVM-per-file veraPDF unless another is given. */
export function createAppDependencies(config: Config, db: Kysely<Database>, overrides: Partial<Omit<AppDependencies, 'config' | 'db'>> = {}): AppDependencies {
  return {
    config,
    db,
    veraPdf: overrides.veraPdf ?? createVeraPdf({ bin: config.veraPdfBin, timeoutMs: config.veraPdfTimeoutMs }),
    store: overrides.store ?? createDocumentStore(config.dataDir),
    documentChecks: overrides.documentChecks ?? null,
    pageCache: overrides.pageCache ?? createPageCache(config.pageCacheBytes),
    accessLog: overrides.accessLog ?? createAccessLog(db),
  };
}
