import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentsDir, documentsManifest } from '../support/documents.ts';
import { projectRoot } from '../support/paths.ts';

/** `npm run docs:check`: the same checks as an upload, from the command line, one JSON line per file. */
describe('docs:check', () => {
  it('prints one JSON line per file with the slot decided by the content, and the manifest verdicts', () => {
    const entries = documentsManifest();
    const result = spawnSync(process.execPath, [path.join(projectRoot, 'src', 'cli', 'docs-check.ts'), ...entries.map((e) => e.file)], {
      cwd: projectRoot,
      env: { ...process.env, INIT_CWD: documentsDir },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status, result.stderr).toBe(1); // some files are rejected
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { file: string; slot: string | null; verdict: string; reasons: Array<{ code: string }> });
    expect(lines.map((line) => line.file)).toEqual(entries.map((e) => e.file));
    for (const [index, entry] of entries.entries()) {
      const line = lines[index]!;
      expect(Object.keys(line)).toEqual(['file', 'slot', 'verdict', 'reasons']);
      // Accepted in the manifest's slot only when the content belongs there and passed.
      const inSlot = line.slot === entry.slot && line.verdict === 'accepted' ? 'accept' : 'reject';
      expect(inSlot, `${entry.file}: ${JSON.stringify(line)}`).toBe(entry.expected);
      if (line.verdict === 'rejected') expect(line.reasons.length).toBeGreaterThan(0);
    }
    // The content decides: a DOCX named .pdf is a DOCX, a PDF named .docx is a PDF.
    expect(lines.find((line) => line.file === 'bad/docx-bytes-named.pdf')?.slot).toBe('docx');
    expect(lines.find((line) => line.file === 'bad/pdf-bytes-named.docx')?.slot).toBe('pdf');
  });

  it('exits 0 when every file is accepted, and 2 with a usage line when none is named', () => {
    const good = spawnSync(process.execPath, [path.join(projectRoot, 'src', 'cli', 'docs-check.ts'), 'good/tz.pdfa1.pdf', 'good/tz.docx'], { cwd: projectRoot, env: { ...process.env, INIT_CWD: documentsDir }, encoding: 'utf8', timeout: 120_000 });
    expect(good.status, good.stderr).toBe(0);
    const none = spawnSync(process.execPath, [path.join(projectRoot, 'src', 'cli', 'docs-check.ts')], { cwd: projectRoot, encoding: 'utf8' });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('usage');
  });
});
