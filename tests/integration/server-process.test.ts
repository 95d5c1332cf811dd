import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postmasterAlive } from '../../src/db/embedded-postgres.ts';
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
});
