import type { Kysely } from 'kysely';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { VeraPdf } from './modules/documents/verapdf.ts';

/** Everything the app needs from outside; the server builds it from config, tests build their own. */
export interface AppDependencies {
  config: Config;
  db: Kysely<Database>;
  veraPdf: VeraPdf;
}
