// `npm test`: makes sure what the suite needs is on this machine, then type-checks and runs every
// test. Plain JavaScript so it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function step(title, command, args, env = {}) {
  process.stdout.write(`\n== ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    process.stderr.write(`npm test: "${title}" failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status || 1);
  }
}

const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  process.stderr.write(`npm test: Node ${process.versions.node} is running; the project pins Node 24 (run through npm so node_modules/.bin/node is used)\n`);
  process.exit(1);
}

// Browser tests drive Debian's Chromium; install it the way a fresh machine would get it.
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!existsSync(chromium)) {
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    process.stderr.write(`npm test: Chromium not found at ${chromium}; install Debian's "chromium" package or set CHROMIUM_PATH\n`);
    process.exit(1);
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  step('install Chromium (apt-get)', 'apt-get', ['update', '-qq'], env);
  step('install Chromium (apt-get)', 'apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core'], env);
}

// Normally done by npm's postinstall; run again (it is quick when present) and require success.
step('veraPDF', process.execPath, [path.join(root, 'scripts', 'install-verapdf.mjs')], { VERAPDF_REQUIRED: '1' });
step('type check', bin('tsc'), ['--noEmit', '-p', root]);
step('tests', bin('vitest'), ['run', ...process.argv.slice(2)]);
