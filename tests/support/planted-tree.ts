import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/**
 * Trees of source files planted under the system's temporary folder for a test file, removed
 * after it: `plant({ 'modules/a/a.ts': '…' })` gives the root that stands for src/.
 */
export function plantedTrees(prefix: string): (files: Record<string, string>) => string {
  const planted: string[] = [];
  afterAll(() => {
    for (const root of planted) rmSync(root, { recursive: true, force: true });
  });
  return (files) => {
    const root = mkdtempSync(path.join(tmpdir(), prefix));
    planted.push(root);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    return root;
  };
}
