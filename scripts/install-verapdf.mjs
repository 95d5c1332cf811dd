#!/usr/bin/env node
// Installs the pinned veraPDF CLI (PDF/A validator) into <project>/.tools/verapdf/.
// Runs as the npm postinstall step, so it must be quick when there is nothing to do, and must not
// break `npm install` on a machine without Java: the portal starts anyway and reports veraPDF as
// missing. Set VERAPDF_REQUIRED=1 (CI, production images) to turn "not installed" into a failure.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const VERAPDF_VERSION = '1.28.2';
const VERAPDF_SHA256 = '687d4d8bcfec48c9f7e931cf78ed061f1eeccfba55d4cdc000ba9b4d8aa46ce6';
const ARTIFACT = `org.verapdf.apps:greenfield-apps:${VERAPDF_VERSION}`;
const MAIN_CLASS = 'org.verapdf.apps.GreenfieldCliWrapper';
// Pinned so that `mvn` does not resolve "the latest" plugin from Central metadata on every machine.
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const toolDir = path.join(projectRoot, '.tools', 'verapdf');
const libDir = path.join(toolDir, 'lib');
const jarName = `greenfield-apps-${VERAPDF_VERSION}.jar`;
const jarPath = path.join(libDir, jarName);
const cdsArchivePath = path.join(libDir, 'verapdf.jsa');
const cdsStampPath = `${cdsArchivePath}.stamp`;
const launcherPath = path.join(toolDir, 'bin', 'verapdf');

const required = process.env.VERAPDF_REQUIRED === '1';

/** Not installed for a reason outside this project's control (no Java, no Maven, no network). */
class NotInstalled extends Error {}

function javaCommand() {
  // Same lookup as the launcher, so that what is checked here is what will run later.
  const fromHome = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : null;
  return fromHome && existsSync(fromHome) ? fromHome : 'java';
}

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, ...options });
}

function lastLines(text, count) {
  return text.trim().split('\n').slice(-count).join(' | ');
}

async function sha256Of(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

async function hasVerifiedJar() {
  if (!existsSync(jarPath)) return false;
  if ((await sha256Of(jarPath)) === VERAPDF_SHA256) return true;
  // A jar that does not match the pin is never run; fetch it again.
  await rm(jarPath, { force: true });
  return false;
}

function javaVersionText(java) {
  const result = run(java, ['-version']);
  if (result.error || result.status !== 0) {
    const why = result.error?.code === 'ENOENT' ? 'not found on PATH or in JAVA_HOME' : lastLines(`${result.stderr ?? ''}${result.error?.message ?? ''}`, 2);
    throw new NotInstalled(`java ${why}`);
  }
  return result.stderr.trim();
}

async function downloadJar() {
  const probe = run('mvn', ['-v']);
  if (probe.error) throw new NotInstalled(`mvn ${probe.error.code === 'ENOENT' ? 'not found on PATH' : probe.error.message}`);

  await mkdir(libDir, { recursive: true });
  // Downloaded beside the final place and renamed only once verified, so an interrupted or
  // tampered download is never mistaken for an installed jar.
  const staging = await mkdtemp(path.join(toolDir, '.download-'));
  try {
    const result = run('mvn', [
      '-B', '-q', '-C', '-Dstyle.color=never',
      `${DEPENDENCY_PLUGIN}:copy`,
      `-Dartifact=${ARTIFACT}`,
      `-DoutputDirectory=${staging}`,
    ]);
    const downloaded = path.join(staging, jarName);
    if (result.status !== 0 || !existsSync(downloaded)) {
      throw new NotInstalled(`mvn could not fetch ${ARTIFACT}: ${lastLines(`${result.stdout}${result.stderr}`, 3) || `exit ${result.status}`}`);
    }
    const actual = await sha256Of(downloaded);
    if (actual !== VERAPDF_SHA256) {
      await rm(downloaded, { force: true });
      throw new Error(
        `SHA-256 mismatch for ${ARTIFACT}: expected ${VERAPDF_SHA256}, got ${actual}; the file was deleted. ` +
          `If your local Maven repository is corrupt, remove ~/.m2/repository/org/verapdf/apps/greenfield-apps/${VERAPDF_VERSION} and retry.`,
      );
    }
    await rename(downloaded, jarPath);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

// One JVM is started per validated document and lives for a second or two, so the flags favour
// start-up time and footprint over peak throughput:
//  -XX:+UseSerialGC         no parallel GC worker threads, smallest heap bookkeeping; GC pauses do not matter here.
//  -XX:TieredStopAtLevel=1  C1 JIT only: a short run never pays back the C2 compilations it starts
//                           (with SerialGC: ~2.1 s -> ~1.4 s per document here).
//  -Xshare:auto             use class-data sharing (the JDK's archive, plus ours below) but never fail without it.
//  -XX:-UsePerfData         no hsperfdata file in /tmp for each run.
//  -Xmx1g                   the JVM default (1/4 of RAM) lets one hostile PDF take a large share of the host;
//                           1 GiB fits the documents the portal accepts. VERAPDF_JAVA_OPTS can raise it.
//  -Xlog:…:stderr           JVM warnings (e.g. an unusable CDS archive) go to stdout by default and would
//                           corrupt the JSON report the portal parses.
//  -Dfile.encoding, sun.*.encoding=UTF-8 and LC_ALL  the report and non-ASCII file names stay UTF-8
//                           whatever the server locale is (with LANG=C a Cyrillic path is "not found").
//  -Djava.awt.headless=true servers have no display; image and font code must not look for one.
const JVM_FLAGS = [
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Xshare:auto',
  '-XX:-UsePerfData',
  '-Xmx1g',
  '-Xlog:disable',
  '-Xlog:all=warning:stderr',
  '-Dfile.encoding=UTF-8',
  '-Dsun.stdout.encoding=UTF-8',
  '-Dsun.stderr.encoding=UTF-8',
  '-Djava.awt.headless=true',
];

function launcherScript() {
  return `#!/bin/sh
# veraPDF ${VERAPDF_VERSION} CLI (${ARTIFACT}, sha256 ${VERAPDF_SHA256}).
# Written by scripts/install-verapdf.mjs: rerun that script instead of editing this file.
# Why each JVM flag is there: see JVM_FLAGS in scripts/install-verapdf.mjs.
set -eu
tool_dir=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
jar="$tool_dir/lib/${jarName}"
cds="$tool_dir/lib/verapdf.jsa"

if [ -n "\${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java="$JAVA_HOME/bin/java"
elif command -v java >/dev/null 2>&1; then
  java=java
else
  echo "verapdf: java not found (install a JRE 11+ or set JAVA_HOME)" >&2
  exit 127
fi
if [ ! -f "$jar" ]; then
  echo "verapdf: $jar is missing; run: node scripts/install-verapdf.mjs" >&2
  exit 127
fi

LC_ALL=C.UTF-8
export LC_ALL
# exec: the JVM replaces this shell, so a caller's kill (e.g. on timeout) reaches Java itself.
# VERAPDF_JAVA_OPTS is split on spaces like JAVA_OPTS and comes last, so it overrides the defaults.
if [ -f "$cds" ]; then
  exec "$java" ${JVM_FLAGS.join(' ')} "-XX:SharedArchiveFile=$cds" \${VERAPDF_JAVA_OPTS:-} -cp "$jar" ${MAIN_CLASS} "$@"
fi
exec "$java" ${JVM_FLAGS.join(' ')} \${VERAPDF_JAVA_OPTS:-} -cp "$jar" ${MAIN_CLASS} "$@"
`;
}

async function writeLauncher() {
  await mkdir(path.dirname(launcherPath), { recursive: true });
  const staging = `${launcherPath}.${process.pid}.tmp`;
  await writeFile(staging, launcherScript(), { mode: 0o755 });
  await chmod(staging, 0o755);
  await rename(staging, launcherPath);
}

// A smallest valid one-page PDF, validated once to record which classes a real run loads.
function tinyPdf() {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << >> >>',
    '<< /Length 25 >>\nstream\n0 0 1 rg 10 10 50 50 re f\nendstream',
  ];
  let body = '%PDF-1.4\n';
  const offsets = objects.map((object, index) => {
    const offset = body.length;
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
    return offset;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  body += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return body;
}

// An application class-data-sharing archive of veraPDF's classes cuts each validation from about
// 1.4 s to about 1.0 s. It is tied to the exact JVM build and jar, hence the stamp. It is optional:
// any failure here leaves veraPDF working, only slower.
async function ensureCdsArchive(java, javaVersion) {
  const jar = await stat(jarPath);
  const stamp = `${javaVersion}\n${jarPath} ${jar.size} ${jar.mtimeMs}\n${JVM_FLAGS.join(' ')}\n`;
  if (existsSync(cdsArchivePath) && existsSync(cdsStampPath) && (await readFile(cdsStampPath, 'utf8')) === stamp) return;

  await rm(cdsArchivePath, { force: true });
  await rm(cdsStampPath, { force: true });
  const work = await mkdtemp(path.join(toolDir, '.cds-'));
  try {
    const sample = path.join(work, 'sample.pdf');
    const archive = path.join(work, 'verapdf.jsa');
    await writeFile(sample, tinyPdf(), 'latin1');
    const dump = run(java, [...JVM_FLAGS, `-XX:ArchiveClassesAtExit=${archive}`, '-cp', jarPath, MAIN_CLASS, '--format', 'json', sample]);
    if (dump.error || !existsSync(archive)) return;
    // -Xshare:on fails instead of silently ignoring a bad archive: a truncated one crashes the JVM.
    const check = run(java, [...JVM_FLAGS, '-Xshare:on', `-XX:SharedArchiveFile=${archive}`, '-cp', jarPath, MAIN_CLASS, '--version']);
    if (check.status !== 0 || !check.stdout.includes(`veraPDF ${VERAPDF_VERSION}`)) return;
    await rename(archive, cdsArchivePath);
    await writeFile(cdsStampPath, stamp);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function smokeTest() {
  const result = run(launcherPath, ['--version']);
  if (result.status !== 0 || !result.stdout.includes(`veraPDF ${VERAPDF_VERSION}`)) {
    throw new NotInstalled(`${launcherPath} --version failed: ${lastLines(`${result.stdout ?? ''}${result.stderr ?? ''}`, 3) || `exit ${result.status}`}`);
  }
}

async function main() {
  const java = javaCommand();
  const javaVersion = javaVersionText(java);
  if (!(await hasVerifiedJar())) await downloadJar();
  await writeLauncher();
  await ensureCdsArchive(java, javaVersion);
  smokeTest();
  console.log(`veraPDF ${VERAPDF_VERSION} ready at ${launcherPath}`);
}

try {
  await main();
} catch (error) {
  if (error instanceof NotInstalled) {
    console.warn(`WARNING: veraPDF ${VERAPDF_VERSION} was not installed: ${error.message}. PDF/A validation will be unavailable.`);
    process.exitCode = required ? 1 : 0;
  } else {
    console.error(`ERROR: veraPDF ${VERAPDF_VERSION} install failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
