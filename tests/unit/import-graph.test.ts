import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, importGraphProblems, moduleOrder, readImportGraph } from '../support/import-graph.ts';
import { projectRoot } from '../support/paths.ts';
import { plantedTrees } from '../support/planted-tree.ts';

const src = path.join(projectRoot, 'src');
const plantTree = plantedTrees('import-graph-');

describe('the import graph of src/', () => {
  it('has no cycle between folders, no upward import and no folder outside the layers', () => {
    expect(importGraphProblems(src)).toEqual([]);
  });

  it('reads the real imports (the object page composes objects, documents and reviews)', () => {
    const { edges } = readImportGraph(src);
    const targets = new Set(edges.filter((edge) => edge.from === 'pages/object-page').map((edge) => edge.to));
    expect([...targets]).toEqual(expect.arrayContaining(['modules/objects', 'modules/documents', 'modules/reviews']));
  });

  it('orders every feature module after the modules it uses', () => {
    const order = moduleOrder(src);
    const { units } = readImportGraph(src);
    expect(order.length).toBe([...units].filter((unit) => unit.startsWith('modules/')).length);
    expect(order.indexOf('modules/objects')).toBeLessThan(order.indexOf('modules/documents'));
  });

  it('fails on a planted cycle between two modules, naming both files', () => {
    const root = plantTree({
      'modules/alpha/alpha.service.ts': "import { beta } from '../beta/beta.service.ts';\nexport const alpha = () => beta;\n",
      'modules/beta/beta.service.ts': "import type { Alpha } from '../alpha/alpha.types.ts';\nexport const beta = 1 as unknown as Alpha;\n",
      'modules/alpha/alpha.types.ts': 'export type Alpha = number;\n',
    });
    const problems = importGraphProblems(root);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('cycle: modules/alpha ⇄ modules/beta');
    expect(problems[0]).toContain('modules/beta/beta.service.ts → modules/alpha/alpha.types.ts');
  });

  it('fails on a planted import from the kernel up to a module, and on an unplaced folder', () => {
    const root = plantTree({
      'web/layout.ts': "export { alpha } from '../modules/alpha/alpha.service.ts';\n",
      'modules/alpha/alpha.service.ts': 'export const alpha = 1;\n',
      'misc/thing.ts': "const later = await import('../web/layout.ts');\nexport default later;\n",
    });
    expect(importGraphProblems(root)).toEqual([
      'unplaced: misc belongs to no layer (tests/support/import-graph.ts)',
      'upward: web/layout.ts (kernel) imports modules/alpha/alpha.service.ts (modules)',
    ]);
  });

  it('finds a cycle of three and ignores a chain', () => {
    expect(findCycles(['a', 'b', 'c', 'd'], [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'a' }, { from: 'c', to: 'd' }])).toEqual([['a', 'b', 'c']]);
    expect(findCycles(['a', 'b', 'c'], [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }])).toEqual([]);
  });
});
