import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const LANGUAGES = ['kk', 'ru', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const port = z.coerce
  .number({ message: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
    } catch {
      return false;
    }
  }, 'must be a postgres:// or postgresql:// URL');

const smtpUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'smtp:' || url.protocol === 'smtps:';
    } catch {
      return false;
    }
  }, 'must be an smtp:// or smtps:// URL');

const booleanFromEnv = z.enum(['true', 'false']).transform((value) => value === 'true');

/**
 * The settings of ЭЦП verification (src/modules/signatures): the trust store and how revocation is
 * checked. Parsed with the rest of the environment when PKI_TRUST_DIR is set, and by
 * `npm run signature:verify` on its own.
 */
export const signatureEnvSchema = z.object({
  /** A folder of CA certificates (PEM or DER): the NCA's root and issuing CAs. */
  PKI_TRUST_DIR: z.string().min(1),
  /** Ask OCSP (the certificate's AIA responder, or PKI_OCSP_URL). */
  PKI_OCSP: booleanFromEnv.default(true),
  PKI_OCSP_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Fetch CRLs (the certificate's CDP, or PKI_CRL_URLS, comma-separated). */
  PKI_CRL: booleanFromEnv.default(true),
  PKI_CRL_URLS: z.string().optional().transform((value) => (value ? value.split(',').map((url) => url.trim()).filter(Boolean) : [])),
  /** What to do when neither OCSP nor a CRL answers: refuse (default) or accept and report it. */
  PKI_REVOCATION_UNAVAILABLE: z.enum(['refuse', 'allow']).default('refuse'),
  PKI_REVOCATION_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
});
export type SignatureEnv = z.infer<typeof signatureEnvSchema>;

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { message: 'must be development, production or test' }).default('development'),
  HOST: z.string().trim().min(1).default('localhost'),
  PORT: port.default(3000),
  BASE_URL: optionalString.pipe(z.url({ message: 'must be an absolute http(s) URL' }).optional()),
  DATABASE_URL: optionalString.pipe(postgresUrl.optional()),
  DATA_DIR: z.string().trim().min(1).default('data'),
  EMBEDDED_PG_PORT: port.default(54329),
  SESSION_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  SMTP_URL: optionalString.pipe(smtpUrl.optional()),
  MAIL_FROM: z.string().trim().min(3).default('Architecture portal <no-reply@portal.localhost>'),
  VERAPDF_BIN: optionalString,
  VERAPDF_TIMEOUT_MS: z.coerce.number({ message: 'must be a number' }).int().min(1000, 'must be at least 1000').default(120_000),
  VERAPDF_POOL_SIZE: z.coerce.number({ message: 'must be a number' }).int().min(1, 'must be at least 1').max(32, 'must be at most 32').optional(),
  PAGE_CACHE_MB: z.coerce.number({ message: 'must be a number' }).int().min(0, 'must be at least 0').max(4096, 'must be at most 4096').default(64),
  ACCOUNT_CODE_PREFIX: z.string().trim().regex(/^[A-Z]{1,6}$/, 'must be 1 to 6 capital Latin letters').default('AP'),
  DEFAULT_LANGUAGE: z.enum(LANGUAGES, { message: 'must be kk, ru or en' }).default('kk'),
  UPLOAD_LIMIT_MB: z.coerce.number({ message: 'must be a number' }).int().min(1, 'must be at least 1').max(2048, 'must be at most 2048').default(50),
  DEMO_DATA: optionalString.pipe(booleanFlag.optional()),
  DATABASE_NAMED_STATEMENTS: optionalString.pipe(booleanFlag.optional()),
  JOBS_WORK: optionalString.pipe(booleanFlag.optional()),
  /** Where the browser finds NCALayer, the NCA's signer on the user's machine (and the page's CSP allows it). */
  NCALAYER_URL: z.url({ protocol: /^wss?$/ }).default('wss://127.0.0.1:13579/'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'must be a pino log level' }).default('info'),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly baseUrl: string;
  /** Absent: the portal runs its own embedded PostgreSQL in the data directory. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly embeddedPostgresPort: number;
  readonly sessionSecret: string;
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly veraPdfBin: string;
  readonly veraPdfTimeoutMs: number;
  /** Warm veraPDF JVMs, and so PDFs checked at once. */
  readonly veraPdfPoolSize: number;
  /** The prefix of account codes, e.g. "AP" in AP-2026-000123-45 (003 §4.5). */
  readonly accountCodePrefix: string;
  /** Memory for rendered object pages (src/web/page-cache.ts); 0 renders every page afresh. */
  readonly pageCacheBytes: number;
  readonly defaultLanguage: Language;
  readonly uploadLimitBytes: number;
  readonly demoData: boolean;
  /** Reads sent as named statements, planned once per connection (src/db/connection.ts); off behind a pooler in transaction mode. */
  readonly databaseNamedStatements: boolean;
  /** This process runs the background jobs (src/jobs): off on web-only nodes, which still queue them. */
  readonly jobsWork: boolean;
  /** ЭЦП verification (PKI_TRUST_DIR and the PKI_* settings); null when no trust store is set, and sign-in with ЭЦП is off. */
  readonly pki: SignatureEnv | null;
  /** NCALayer's WebSocket address as the user's browser reaches it (NCALAYER_URL). */
  readonly ncaLayerUrl: string;
  readonly logLevel: string;
}

function loadPkiSettings(source: NodeJS.ProcessEnv): SignatureEnv | null {
  if (!source.PKI_TRUST_DIR?.trim()) return null;
  const parsed = signatureEnvSchema.safeParse({ ...source, PKI_TRUST_DIR: path.resolve(projectRoot, source.PKI_TRUST_DIR.trim()) });
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** A configuration problem the operator can fix; printed as one line, never as a stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`)
    .join('; ');
}

/**
 * The session secret signs cookies. Production must be given one; in development a random one is
 * generated once and kept in the data directory so sessions survive restarts.
 */
function resolveSessionSecret(given: string | undefined, env: Config['env'], dataDir: string): string {
  if (given) return given;
  if (env === 'production') throw new ConfigError('SESSION_SECRET is required in production (at least 32 characters)');
  const file = path.join(dataDir, 'session-secret');
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(source);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${describeIssues(parsed.error)}`);
  const e = parsed.data;
  const dataDir = path.resolve(projectRoot, e.DATA_DIR);
  const config: Config = {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    baseUrl: (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    databaseUrl: e.DATABASE_URL,
    dataDir,
    embeddedPostgresPort: e.EMBEDDED_PG_PORT,
    sessionSecret: resolveSessionSecret(e.SESSION_SECRET, e.NODE_ENV, dataDir),
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    veraPdfBin: path.resolve(projectRoot, e.VERAPDF_BIN ?? '.tools/verapdf/bin/verapdf'),
    veraPdfTimeoutMs: e.VERAPDF_TIMEOUT_MS,
    accountCodePrefix: e.ACCOUNT_CODE_PREFIX,
    pageCacheBytes: e.PAGE_CACHE_MB * 1024 * 1024,
    veraPdfPoolSize: e.VERAPDF_POOL_SIZE ?? Math.max(1, Math.min(4, os.availableParallelism())),
    defaultLanguage: e.DEFAULT_LANGUAGE,
    uploadLimitBytes: e.UPLOAD_LIMIT_MB * 1024 * 1024,
    demoData: e.DEMO_DATA ?? e.NODE_ENV === 'development',
    databaseNamedStatements: e.DATABASE_NAMED_STATEMENTS ?? true,
    jobsWork: e.JOBS_WORK ?? true,
    pki: loadPkiSettings(source),
    ncaLayerUrl: e.NCALAYER_URL,
    logLevel: e.LOG_LEVEL,
  };
  return Object.freeze(config);
}

/** The URL with its password replaced, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
