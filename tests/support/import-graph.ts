/**
 * The shape of src/ as a graph of folders ("units"), read from the TypeScript imports, and the two
 * rules it must keep (README, "How the code is laid out"):
 *   - layers: an import never points from a lower layer to a higher one — kernel (access rules,
 *     errors, config, db, the page layout and i18n) < feature modules < pages that compose several
 *     modules < the composition root (app, server, CLI);
 *   - no cycles between units: the feature modules form a directed acyclic graph.
 * Type-only imports count: a type is a dependency too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const LAYERS = ['kernel', 'modules', 'pages', 'composition'] as const;
export type Layer = (typeof LAYERS)[number];

export interface ImportEdge {
  from: string;
  to: string;
  /** The importing file and the imported one, relative to src/. */
  fromFile: string;
  toFile: string;
}

const KERNEL_FILES = new Set(['config.ts', 'errors.ts', 'schema-registry.ts']);
const KERNEL_FOLDERS = new Set(['access', 'db', 'jobs', 'web']);
const COMPOSITION_FILES = new Set(['app.ts', 'deps.ts', 'server.ts', 'server-options.ts', 'runtime.ts']);

/** The unit of a file relative to src/: "modules/objects", "pages/object-page", "web", "app.ts", … */
export function unitOf(file: string): string {
  const parts = file.split('/');
  if ((parts[0] === 'modules' || parts[0] === 'pages') && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  return parts.length > 1 ? parts[0]! : file;
}

/** The layer of a unit; null for one that no rule places (the test fails on it, so a new folder is placed knowingly). */
export function layerOf(unit: string): Layer | null {
  if (KERNEL_FILES.has(unit) || KERNEL_FOLDERS.has(unit)) return 'kernel';
  if (unit.startsWith('modules/')) return 'modules';
  if (unit.startsWith('pages/')) return 'pages';
  if (COMPOSITION_FILES.has(unit) || unit === 'cli') return 'composition';
  return null;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full, base);
    return entry.name.endsWith('.ts') ? [path.relative(base, full).split(path.sep).join('/')] : [];
  });
}

/** Every relative import between units of the tree at `srcDir`. */
export function readImportGraph(srcDir: string): { units: Set<string>; edges: ImportEdge[] } {
  const units = new Set<string>();
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(srcDir)) {
    const from = unitOf(file);
    units.add(from);
    const text = readFileSync(path.join(srcDir, file), 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2]!;
      if (!specifier.startsWith('.')) continue;
      const toFile = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      if (toFile.startsWith('..')) continue;
      const to = unitOf(toFile);
      if (to !== from) edges.push({ from, to, fromFile: file, toFile });
    }
  }
  return { units, edges };
}

/** Strongly connected components of more than one unit (Tarjan): each is a cycle between folders. */
export function findCycles(units: Iterable<string>, edges: ReadonlyArray<Pick<ImportEdge, 'from' | 'to'>>): string[][] {
  const next = new Map<string, Set<string>>();
  for (const unit of units) next.set(unit, new Set());
  for (const edge of edges) {
    if (!next.has(edge.from)) next.set(edge.from, new Set());
    if (!next.has(edge.to)) next.set(edge.to, new Set());
    next.get(edge.from)!.add(edge.to);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (unit: string): void => {
    index.set(unit, counter);
    low.set(unit, counter);
    counter += 1;
    stack.push(unit);
    onStack.add(unit);
    for (const target of next.get(unit)!) {
      if (!index.has(target)) {
        visit(target);
        low.set(unit, Math.min(low.get(unit)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(unit, Math.min(low.get(unit)!, index.get(target)!));
      }
    }
    if (low.get(unit) === index.get(unit)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== unit);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const unit of [...next.keys()].sort()) if (!index.has(unit)) visit(unit);
  return cycles;
}

/** Everything wrong with the shape of a tree, as lines a person can act on; empty when it keeps both rules. */
export function importGraphProblems(srcDir: string): string[] {
  const { units, edges } = readImportGraph(srcDir);
  const problems: string[] = [];
  for (const unit of [...units].sort()) {
    if (layerOf(unit) === null) problems.push(`unplaced: ${unit} belongs to no layer (tests/support/import-graph.ts)`);
  }
  for (const edge of edges) {
    const from = layerOf(edge.from);
    const to = layerOf(edge.to);
    if (from === null || to === null) continue;
    if (LAYERS.indexOf(to) > LAYERS.indexOf(from)) problems.push(`upward: ${edge.fromFile} (${from}) imports ${edge.toFile} (${to})`);
  }
  for (const cycle of findCycles(units, edges)) {
    const members = new Set(cycle);
    const links = edges.filter((edge) => members.has(edge.from) && members.has(edge.to)).map((edge) => `${edge.fromFile} → ${edge.toFile}`);
    problems.push(`cycle: ${cycle.join(' ⇄ ')} (${[...new Set(links)].join('; ')})`);
  }
  return problems;
}

/** The feature modules in an order where each depends only on those before it (for the README map). */
export function moduleOrder(srcDir: string): string[] {
  const { units, edges } = readImportGraph(srcDir);
  const modules = [...units].filter((unit) => layerOf(unit) === 'modules').sort();
  const deps = new Map(modules.map((unit) => [unit, new Set(edges.filter((e) => e.from === unit && layerOf(e.to) === 'modules').map((e) => e.to))]));
  const ordered: string[] = [];
  while (ordered.length < modules.length) {
    const ready = modules.filter((unit) => !ordered.includes(unit) && [...deps.get(unit)!].every((dep) => ordered.includes(dep)));
    if (ready.length === 0) break;
    ordered.push(...ready);
  }
  return ordered;
}
