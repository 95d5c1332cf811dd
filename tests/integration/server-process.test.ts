import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { postmasterAlive } from '../../src/db/embedded-postgres.ts';
import { checkPdfOriginal } from '../../src/modules/documents/check.ts';
import { createVeraPdf, defaultVeraPdfBin } from '../../src/modules/documents/verapdf.ts';
import { createOrganization, createUser, signInAs } from '../support/auth.ts';
import { createTestDatabase } from '../support/database.ts';
import { samplePassport } from '../support/objects.ts';
import { projectRoot } from '../support/paths.ts';

const serverScript = path.join(projectRoot, 'src', 'server.ts');
const started: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function runToExit(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', ...env }, cwd: projectRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function startServer(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [serverScript], { env: { PATH: process.env.PATH ?? '', ...env }, cwd: projectRoot });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function waitForReady(port: number, output: () => string, timeoutMs = 90_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      const body = (await response.json()) as Record<string, unknown>;
      if (response.status === 200) return body;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server did not become ready: ${output()}`);
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/** inject() over real HTTP, so the sign-in helper drives a portal process as it drives an app in this one. */
function overHttp(baseUrl: string): Pick<FastifyInstance, 'inject'> {
  const over = {
    async inject(options: { method?: string; url: string; headers?: Record<string, string>; payload?: object }) {
      const response = await fetch(`${baseUrl}${options.url}`, {
        method: options.method ?? 'GET',
        redirect: 'manual',
        headers: { ...options.headers, ...(options.payload ? { 'content-type': 'application/json' } : {}) },
        ...(options.payload ? { body: JSON.stringify(options.payload) } : {}),
      });
      const headers: Record<string, string | string[]> = Object.fromEntries(response.headers.entries());
      headers['set-cookie'] = response.headers.getSetCookie();
      return { statusCode: response.status, headers, body: await response.text() };
    },
  };
  // Only statusCode, headers and body of the answer are read by the sign-in helper.
  return over as unknown as Pick<FastifyInstance, 'inject'>;
}

afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('the server process', () => {
  it('exits with one readable line on an invalid configuration value', async () => {
    const result = await runToExit(serverScript, { PORT: 'eighty', DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'portal-')) });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^architecture-portal: Invalid configuration: PORT must be a number/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits with one readable line when DATABASE_URL cannot be reached, without printing the password', async () => {
    const port = await freePort();
    const result = await runToExit(serverScript, {
      DATABASE_URL: `postgres://portal:hunter2secret@127.0.0.1:${port}/portal`,
      DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'portal-')),
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`cannot connect to the database at postgres://portal:***@127.0.0.1:${port}/portal: connection refused`);
    expect(result.stderr).not.toContain('hunter2secret');
  });

  it('runs on its embedded PostgreSQL, survives SIGKILL (even of the database) and shuts down cleanly', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-embedded-'));
    const env = {
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      EMBEDDED_PG_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
    };
    const port = Number(env.PORT);
    const clusterPid = () => Number(readFileSync(path.join(dataDir, 'postgres', 'cluster', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const auditVerify = path.join(projectRoot, 'src', 'cli', 'audit-verify.ts');

    const first = startServer(env);
    await waitForReady(port, first.output, 180_000);
    expect(first.output()).toContain('Demo accounts');
    const home = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie: 'lang=ru' } });
    expect(await home.text()).toContain('Архитектурный портал');
    // 6 demo organizations + 7 demo users + 4 calendar years (2024–2027) + 3 demo objects, each with its event.
    const intact = await runToExit(auditVerify, env);
    expect(intact.stdout).toMatch(/audit log intact: 20 events/);

    // The web process dies; its PostgreSQL keeps running and is reused.
    first.child.kill('SIGKILL');
    await exited(first.child);
    const second = startServer(env);
    await waitForReady(port, second.output);
    expect((await runToExit(auditVerify, env)).stdout).toMatch(/audit log intact: 20 events/);

    // Both die: the stale postmaster.pid must not block the next start.
    second.child.kill('SIGKILL');
    await exited(second.child);
    process.kill(clusterPid(), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const third = startServer(env);
    await waitForReady(port, third.output);
    expect((await runToExit(auditVerify, env)).stdout).toMatch(/audit log intact: 20 events/);

    // SIGTERM: the web server and its database stop, and the process exits 0.
    const clusterDir = path.join(dataDir, 'postgres', 'cluster');
    expect(await postmasterAlive(clusterDir)).toBe(true);
    third.child.kill('SIGTERM');
    expect(await exited(third.child)).toBe(0);
    expect(await postmasterAlive(clusterDir)).toBe(false);
  }, 300_000);

  it('renders the extract of an approval committed by a web-only node that died, once a working node runs', async () => {
    const database = await createTestDatabase();
    try {
      const organizationBin = '990340001230';
      const organizationId = await createOrganization(database.db, { bin: organizationBin });
      const staff = await createUser(database.db, 'staff', { organizationId });
      const reviewer = await createUser(database.db, 'reviewer');
      const passport = { ...samplePassport('Система после сбоя'), owner_organization_id: organizationId };
      const object = await database.db
        .insertInto('objects')
        .values({ organization_id: organizationId, passport: JSON.stringify(passport), kind: passport.kind, class: passport.class, name_kk: passport.name.full.kk, name_ru: passport.name.full.ru, purpose_kk: passport.purpose.kk, purpose_ru: passport.purpose.ru, stage: 'creation', step: 'development_work' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const snapshot = { version: 1, passport, state: { stage: 'creation', step: 'development_work' }, organization: { id: organizationId, bin: organizationBin, nameKk: 'Сынақ министрлігі', nameRu: 'Тестовое министерство' }, documents: [] };
      const submittedAt = new Date();
      const reviewCase = await database.db
        .insertInto('review_cases')
        .values({ number: 'RC-2026-900001', object_id: object.id, organization_id: organizationId, kind: 'registration', object_version: 1, snapshot: JSON.stringify(snapshot), submitted_at: submittedAt, submitted_by: staff.id, due_at: new Date(submittedAt.getTime() + 7 * 86_400_000) })
        .returning('id')
        .executeTakeFirstOrThrow();

      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const env = {
        NODE_ENV: 'test',
        DATABASE_URL: database.url,
        DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'portal-jobs-')),
        SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
        DEMO_DATA: 'false',
        PORT: String(port),
        LOG_LEVEL: 'warn',
      };

      // A web-only node approves: the approval and its extract's job commit; nothing renders here.
      const web = startServer({ ...env, JOBS_WORK: 'false' });
      await waitForReady(port, web.output);
      const session = await signInAs(overHttp(baseUrl), reviewer);
      const approved = await fetch(`${baseUrl}/api/review-cases/${reviewCase.id}/decision`, {
        method: 'POST',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve' }),
      });
      expect(approved.status).toBe(200);
      const { issuedDocument } = (await approved.json()) as { issuedDocument: { id: string; number: string; extractReady: boolean } };
      expect(issuedDocument.extractReady).toBe(false);
      const verifyQuery = `number=${encodeURIComponent(issuedDocument.number)}&bin=${organizationBin}`;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const pending = await fetch(`${baseUrl}/verify/extract.pdf?${verifyQuery}`, { headers: { accept: 'application/json' } });
      expect(pending.status).toBe(503);
      expect(pending.headers.get('retry-after')).toBe('5');
      for (const [lang, text] of [['kk', 'Үзінді дайындалуда'], ['ru', 'Выписка готовится'], ['en', 'The extract is being prepared']]) {
        const page = await (await fetch(`${baseUrl}/verify?${verifyQuery}`, { headers: { cookie: `lang=${lang}` } })).text();
        expect(page).toContain(`data-verified="${issuedDocument.number}"`);
        expect(page).toContain(text);
      }
      const queued = await database.db.selectFrom('issued_documents').select('pdf_sha256').where('id', '=', issuedDocument.id).executeTakeFirstOrThrow();
      expect(queued.pdf_sha256).toBeNull();

      // It dies before anyone renders anything; a working node comes up and renders the extract.
      web.child.kill('SIGKILL');
      await exited(web.child);
      const worker = startServer(env);
      await waitForReady(port, worker.output);
      const deadline = Date.now() + 60_000;
      let extract = await fetch(`${baseUrl}/verify/extract.pdf?${verifyQuery}`);
      while (extract.status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        extract = await fetch(`${baseUrl}/verify/extract.pdf?${verifyQuery}`);
      }
      expect(extract.status, worker.output()).toBe(200);
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'extract-')), 'extract.pdf');
      writeFileSync(file, Buffer.from(await extract.arrayBuffer()));
      const check = await checkPdfOriginal(file, createVeraPdf({ bin: process.env.VERAPDF_BIN ?? defaultVeraPdfBin(projectRoot), timeoutMs: 60_000 }));
      expect(check.verdict, JSON.stringify(check.reasons)).toBe('accepted');
      expect(check.text).toContain(issuedDocument.number);
      const verified = await fetch(`${baseUrl}/api/verify?${verifyQuery}`);
      expect(verified.status).toBe(200);
      expect(await verified.json()).toMatchObject({ number: issuedDocument.number, ownerBin: organizationBin });
      const page = await (await fetch(`${baseUrl}/verify?${verifyQuery}`)).text();
      expect(page).not.toContain('data-extract-pending');
      worker.child.kill('SIGTERM');
      expect(await exited(worker.child)).toBe(0);
    } finally {
      await database.destroy();
    }
  }, 300_000);
});
