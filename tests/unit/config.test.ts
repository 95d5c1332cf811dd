import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, projectRoot, redactDatabaseUrl } from '../../src/config.ts';

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'portal-config-'));

describe('configuration', () => {
  it('has working defaults for development and generates a persistent session secret', () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config.env).toBe('development');
    expect(config.port).toBe(3000);
    expect(config.baseUrl).toBe('http://localhost:3000');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.defaultLanguage).toBe('kk');
    expect(config.uploadLimitBytes).toBe(50 * 1024 * 1024);
    expect(config.demoData).toBe(true);
    expect(config.databaseNamedStatements).toBe(true);
    expect(config.jobsWork).toBe(true);
    expect(config.pageCacheBytes).toBe(64 * 1024 * 1024);
    expect(config.sessionSecret.length).toBeGreaterThanOrEqual(32);
    const stored = readFileSync(path.join(dataDir, 'session-secret'), 'utf8').trim();
    expect(stored).toBe(config.sessionSecret);
    expect(loadConfig({ DATA_DIR: dataDir }).sessionSecret).toBe(config.sessionSecret);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('requires a session secret in production and does not write one', () => {
    const dataDir = tempDir();
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir })).toThrow(/SESSION_SECRET is required/);
    expect(existsSync(path.join(dataDir, 'session-secret'))).toBe(false);
    const config = loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir, SESSION_SECRET: 's'.repeat(40) });
    expect(config.demoData).toBe(false);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be a number/],
    [{ PORT: '70000' }, /PORT must be between 1 and 65535/],
    [{ DATABASE_URL: 'mysql://x@y/z' }, /DATABASE_URL must be a postgres/],
    [{ DEFAULT_LANGUAGE: 'de' }, /DEFAULT_LANGUAGE must be kk, ru or en/],
    [{ SMTP_URL: 'http://mail' }, /SMTP_URL must be an smtp/],
    [{ SESSION_SECRET: 'short' }, /SESSION_SECRET must be at least 32/],
    [{ DEMO_DATA: 'maybe' }, /DEMO_DATA must be true or false/],
    [{ DATABASE_NAMED_STATEMENTS: 'sometimes' }, /DATABASE_NAMED_STATEMENTS must be true or false/],
    [{ JOBS_WORK: 'later' }, /JOBS_WORK must be true or false/],
    [{ PAGE_CACHE_MB: '-1' }, /PAGE_CACHE_MB must be at least 0/],
    [{ BASE_URL: 'not a url' }, /BASE_URL must be an absolute/],
  ])('rejects %o with a readable reason', (env, message) => {
    const attempt = () => loadConfig({ DATA_DIR: tempDir(), ...env });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('reads the ЭЦП settings only with a trust store, and refuses a bad one by name', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).pki).toBeNull();
    const pki = loadConfig({ DATA_DIR: tempDir(), PKI_TRUST_DIR: 'data/pki', PKI_REVOCATION_UNAVAILABLE: 'allow' }).pki;
    expect(pki).toMatchObject({ PKI_OCSP: true, PKI_CRL: true, PKI_REVOCATION_UNAVAILABLE: 'allow', PKI_REVOCATION_TIMEOUT_MS: 5000 });
    expect(pki?.PKI_TRUST_DIR).toBe(path.resolve(projectRoot, 'data/pki'));
    expect(() => loadConfig({ DATA_DIR: tempDir(), PKI_TRUST_DIR: 'x', PKI_REVOCATION_UNAVAILABLE: 'maybe' })).toThrow(/PKI_REVOCATION_UNAVAILABLE/);
  });

  it('names every bad variable in one message', () => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), PORT: 'x', DEFAULT_LANGUAGE: 'de' })).toThrow(/PORT .*; DEFAULT_LANGUAGE /);
  });

  it('accepts explicit values and treats empty strings as unset', () => {
    const config = loadConfig({
      DATA_DIR: tempDir(),
      PORT: '8080',
      BASE_URL: 'https://portal.example.kz/',
      DATABASE_URL: 'postgres://app:secret@db:5432/portal',
      SMTP_URL: '',
      DEFAULT_LANGUAGE: 'ru',
      UPLOAD_LIMIT_MB: '10',
      DEMO_DATA: 'false',
      DATABASE_NAMED_STATEMENTS: 'false',
      PAGE_CACHE_MB: '0',
    });
    expect(config.port).toBe(8080);
    expect(config.baseUrl).toBe('https://portal.example.kz');
    expect(config.databaseUrl).toBe('postgres://app:secret@db:5432/portal');
    expect(config.smtpUrl).toBeUndefined();
    expect(config.defaultLanguage).toBe('ru');
    expect(config.uploadLimitBytes).toBe(10 * 1024 * 1024);
    expect(config.demoData).toBe(false);
    expect(config.databaseNamedStatements).toBe(false);
    expect(config.pageCacheBytes).toBe(0);
  });

  it('hides the password of a database URL', () => {
    expect(redactDatabaseUrl('postgres://app:secret@db:5432/portal')).toBe('postgres://app:***@db:5432/portal');
    expect(redactDatabaseUrl('postgres://app@db/portal')).toBe('postgres://app@db/portal');
  });
});
