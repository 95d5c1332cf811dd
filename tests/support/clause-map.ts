/**
 * The clause map (docs/clauses.md) and the clauses of the seeds (../shared/seeds/*.txt), read and
 * checked against each other and against the code. Pure: texts in, problems out; the caller reads
 * the files (tests/unit/clauses.test.ts).
 *
 * How clause numbers are found in a seed's text
 * ----------------------------------------------
 * A seed is an order (приказ / бұйрық) followed by the act it approves and that act's annexes.
 * Each line is read in the part it belongs to; the part is set by the latest marker line above it:
 *   - Order:    a line containing «ПРИКАЗЫВАЮ» or «БҰЙЫРАМЫН» (the order's own paragraphs follow);
 *   - Main:     a line starting «Утверждены» / «Утвержден(а/о)», or a line that is «бекітілген»
 *               (at most three words before it): the approved rules or requirements follow;
 *   - Annex K:  a line that is «Приложение K» or «K-қосымша».
 * Text before the first marker (title, registration, footnotes) holds no clause.
 *
 * Clauses are numbers at the start of a line, never numbers in running text: «8. …» is paragraph 8
 * and «3) …» sub-item 3 of the paragraph above it («12-1.», «14-1)» included), while «пункта 2»,
 * «подпунктами 1), 2)», «8-тармақ», «2-тармақтың» are references, not clauses. In an annex a
 * table's rows count too: «1 Масштаб …» or a bare «3» opens row group 1 or 3, «1.2» is item 2 of
 * group 1, and «2. …» under an open group is item 2 of that group (001 Annex 2); «1) …» with no
 * paragraph above is a bare item (003 Annex 1). Footnotes (Сноска, Ескерту) start with a word, so
 * they hold none.
 *
 * Skipped: amending text quoted inside a seed — from a line starting with a quote and a digit
 * («"2. Осы Қағидаларда…») to the line that ends with the closing quote («…";», «…".», «…."») —
 * is the new wording of another act's paragraphs (002 §2, §3), not a clause of the seed.
 * A chapter heading numbered like a paragraph («2. Требования к содержанию…» in 000, «1. Общие
 * положения» in 001) repeats the number of a real paragraph, so it adds nothing.
 *
 * Both languages: a seed may hold the Russian and the Kazakh text; each copy has its own markers
 * and its own numbering, so it yields the same clause numbers, and the clauses are a set: the
 * second copy adds nothing. An annex the text refers to («согласно приложению 3», «2-қосымшаға
 * сәйкес») is a clause even when its heading is lost (003 Annex 2 survives only as its table).
 *
 * Clause ids, as the map writes them after the seed number: «§8», «§4.5» (sub-item 5 of §8),
 * «Order §2» (the order's own paragraph), «Annex 2» (an annex with no numbered item), «Annex 3 1.2»,
 * «Annex 2 5» (a table row group), «Annex 1 1» (a bare item), «Annex 2 §5», «Annex 1 §3.1»
 * (paragraphs of an annex that is itself an act, 002).
 *
 * What the map must cover: every paragraph, every annex item at the top of its annex, and every
 * annex without items — each either by a row of its own or by rows for all of its sub-items (never
 * both, so every piece of text is counted once).
 */

export const STATUSES = ['implemented', 'partly', 'not yet', 'not for software', 'not applicable'] as const;
export type Status = (typeof STATUSES)[number];

// ---------------------------------------------------------------------------------------------
// Seeds

export interface SeedClauses {
  /** Every clause id found, units and sub-items alike, e.g. '§4', '§4.5', 'Annex 3 1.2'. */
  ids: ReadonlySet<string>;
  /** The units the map must cover, each with its sub-items (empty when it has none). */
  units: ReadonlyMap<string, readonly string[]>;
}

type Part = { kind: 'none' } | { kind: 'order' } | { kind: 'main' } | { kind: 'annex'; annex: string };

const ORDER_MARKER = /ПРИКАЗЫВАЮ|БҰЙЫРАМЫН/u;
const MAIN_MARKER = /^\s*(?:Утвержден[аоы]?(?:\s|$)|(?:\S+\s+){0,3}бекітілген\s*$)/u;
const ANNEX_HEADING = /^\s*(?:Приложение\s+(\d+)|(\d+)-қосымша)\s*$/u;
const ANNEX_REFERENCE = /приложени[июяе]\s+(\d+)|(\d+)-қосымша/giu;
const PARAGRAPH = /^\s*(\d+(?:-\d+)?)\.\s+\S/u;
const SUB_ITEM = /^\s*(\d+(?:-\d+)?)\)\s/u;
const TABLE_ITEM = /^\s*(\d{1,2})\.(\d{1,2})\.?(?:\s|$)/u;
const TABLE_GROUP = /^\s*(\d{1,2})(?:\s*$|\s+\p{L})/u;
const QUOTE_START = /^\s*["«“]\d/u;
const QUOTE_END = /(?:["»”][.;]?|\.["»”])\s*$/u;

/** The clause ids of one seed's text (see the top of this file for the rules). */
export function parseSeedClauses(text: string): SeedClauses {
  const units = new Map<string, Set<string>>();
  const addUnit = (unit: string) => {
    if (!units.has(unit)) units.set(unit, new Set());
  };
  const addChild = (unit: string, child: string) => {
    addUnit(unit);
    units.get(unit)!.add(child);
  };

  let part: Part = { kind: 'none' };
  /** The latest paragraph of the current part, which the sub-items below it belong to. */
  let paragraph: string | null = null;
  let group: string | null = null;
  let inQuote = false;
  const referencedAnnexes = new Set<string>();

  for (const line of text.split(/\r?\n/)) {
    if (inQuote) {
      if (QUOTE_END.test(line)) inQuote = false;
      continue;
    }
    if (QUOTE_START.test(line)) {
      if (!QUOTE_END.test(line)) inQuote = true;
      continue;
    }
    if (part.kind !== 'none') {
      for (const match of line.matchAll(ANNEX_REFERENCE)) referencedAnnexes.add((match[1] ?? match[2])!);
    }

    const heading = ANNEX_HEADING.exec(line);
    if (heading) {
      part = { kind: 'annex', annex: (heading[1] ?? heading[2])! };
      addUnit(`Annex ${part.annex}`);
      paragraph = null;
      group = null;
      continue;
    }
    if (MAIN_MARKER.test(line)) {
      part = { kind: 'main' };
      paragraph = null;
      continue;
    }
    if (ORDER_MARKER.test(line)) {
      if (part.kind !== 'order') paragraph = null;
      part = { kind: 'order' };
      continue;
    }
    if (part.kind === 'none') continue;

    const prefix = part.kind === 'order' ? 'Order §' : part.kind === 'main' ? '§' : `Annex ${part.annex} `;
    if (part.kind === 'annex') {
      const item = TABLE_ITEM.exec(line);
      if (item) {
        group = item[1]!;
        addChild(`${prefix}${group}`, `${prefix}${group}.${item[2]}`);
        continue;
      }
    }
    const para = PARAGRAPH.exec(line);
    if (para) {
      if (part.kind === 'annex' && group !== null) {
        addChild(`${prefix}${group}`, `${prefix}${group}.${para[1]}`);
      } else {
        paragraph = part.kind === 'annex' ? `${prefix}§${para[1]}` : `${prefix}${para[1]}`;
        addUnit(paragraph);
      }
      continue;
    }
    const sub = SUB_ITEM.exec(line);
    if (sub) {
      if (paragraph !== null) addChild(paragraph, `${paragraph}.${sub[1]}`);
      else if (part.kind === 'annex') addUnit(`${prefix}${sub[1]}`);
      continue;
    }
    if (part.kind === 'annex') {
      const row = TABLE_GROUP.exec(line);
      if (row) {
        group = row[1]!;
        addUnit(`${prefix}${group}`);
      }
    }
  }

  for (const annex of referencedAnnexes) addUnit(`Annex ${annex}`);
  // An annex with items is covered by its items; only an annex without any is a unit itself.
  for (const unit of [...units.keys()]) {
    const annex = /^Annex (\d+)$/.exec(unit);
    if (annex && [...units.keys()].some((other) => other.startsWith(`${unit} `))) units.delete(unit);
  }

  const ids = new Set<string>();
  const result = new Map<string, string[]>();
  for (const [unit, children] of units) {
    ids.add(unit);
    for (const child of children) ids.add(child);
    result.set(unit, [...children]);
  }
  return { ids, units: result };
}

// ---------------------------------------------------------------------------------------------
// The map

export interface CodeReference {
  file: string;
  /** Declared names; 'A.b' is member b of the declared A. */
  names: string[];
}

export interface TestReference {
  file: string;
  titles: string[];
}

export interface MapRow {
  /** As written: '003 §8'. */
  clause: string;
  seed: string;
  /** Without the seed: '§8'. */
  id: string;
  summary: string;
  status: Status | null;
  statusNote: string;
  code: CodeReference[];
  tests: TestReference[];
  /** 1-based line in the map. */
  line: number;
}

export interface ClauseMapProblem {
  /** The row (its clause as written), or the clause the seeds have and the map lacks; null: the map as a whole. */
  row: string | null;
  message: string;
}

const CLAUSE_CELL = /^(\d{3}) (.+)$/;

function cellsOf(line: string): string[] | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('|') || !trimmed.endsWith('|')) return null;
  return trimmed
    .slice(1, -1)
    .split('|')
    .map((cell) => cell.trim());
}

function parseStatus(cell: string): { status: Status | null; note: string } {
  const status = [...STATUSES].sort((a, b) => b.length - a.length).find((candidate) => cell === candidate || cell.startsWith(`${candidate} `) || cell.startsWith(`${candidate}:`));
  if (!status) return { status: null, note: '' };
  return { status, note: cell.slice(status.length).replace(/^\s*(?:—|–|-|:)\s*/, '').trim() };
}

function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!.trim());
}

function isPath(span: string): boolean {
  return /^(?:src|tests|migrations|scripts|schemas)\/\S+\.\w+$/.test(span);
}

function parseCode(cell: string): { refs: CodeReference[]; errors: string[] } {
  const refs: CodeReference[] = [];
  const errors: string[] = [];
  for (const span of codeSpans(cell)) {
    if (isPath(span)) refs.push({ file: span, names: [] });
    else if (refs.length === 0) errors.push(`code \`${span}\` names no file before it`);
    else refs.at(-1)!.names.push(span);
  }
  for (const ref of refs) if (ref.names.length === 0) errors.push(`code ${ref.file} names no function, const or class`);
  return { refs, errors };
}

function parseTests(cell: string): { refs: TestReference[]; errors: string[] } {
  const refs: TestReference[] = [];
  const errors: string[] = [];
  for (const match of cell.matchAll(/`([^`]+)`|"([^"]*)"/g)) {
    if (match[1] !== undefined) {
      if (isPath(match[1])) refs.push({ file: match[1], titles: [] });
      else errors.push(`test \`${match[1]}\` is not a test file`);
    } else if (refs.length === 0) errors.push(`test title "${match[2]}" names no file before it`);
    else refs.at(-1)!.titles.push(match[2]!);
  }
  for (const ref of refs) if (ref.titles.length === 0) errors.push(`test ${ref.file} names no test title`);
  return { refs, errors };
}

/**
 * The rows of the map's table: every table line whose first cell is a clause («003 §8»). A row
 * has five cells: clause | summary | status | code | test.
 */
export function parseClauseMap(markdown: string): { rows: MapRow[]; problems: ClauseMapProblem[] } {
  const rows: MapRow[] = [];
  const problems: ClauseMapProblem[] = [];
  markdown.split(/\r?\n/).forEach((line, index) => {
    const cells = cellsOf(line);
    if (!cells) return;
    const clause = CLAUSE_CELL.exec(cells[0] ?? '');
    if (!clause) return;
    const name = cells[0]!;
    if (cells.length !== 5) {
      problems.push({ row: name, message: `has ${cells.length} cells, not 5 (clause | summary | status | code | test)` });
      return;
    }
    const { status, note } = parseStatus(cells[2]!);
    const code = parseCode(cells[3]!);
    const tests = parseTests(cells[4]!);
    for (const message of [...code.errors, ...tests.errors]) problems.push({ row: name, message });
    rows.push({ clause: name, seed: clause[1]!, id: clause[2]!, summary: cells[1]!, status, statusNote: note, code: code.refs, tests: tests.refs, line: index + 1 });
  });
  return { rows, problems };
}

// ---------------------------------------------------------------------------------------------
// Checking

/** The titles of the it()/test() calls in a test file's source (it.each(…)('…') included). */
export function testTitles(source: string): Set<string> {
  const titles = new Set<string>();
  const start = /(?:\b(?:it|test)(?:\.(?:skip|only|concurrent|sequential|fails|todo))*\s*\(|\)\s*\()\s*(['"`])/g;
  for (const match of source.matchAll(start)) {
    const quote = match[1]!;
    let index = match.index + match[0].length;
    let title = '';
    while (index < source.length && source[index] !== quote) {
      if (source[index] === '\\' && index + 1 < source.length) index++;
      title += source[index];
      index++;
    }
    if (index < source.length) titles.add(title);
  }
  return titles;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether `name` is declared at the top level of a source file (function, const, let, class, …). */
export function declares(source: string, name: string): boolean {
  const [head, ...members] = name.split('.');
  const declaration = new RegExp(
    `(?:^|[\\s;])(?:export\\s+)?(?:default\\s+)?(?:declare\\s+)?(?:async\\s+)?(?:abstract\\s+)?(?:function\\s*\\*?|const|let|var|class|interface|type|enum)\\s+${escapeRegExp(head!)}(?![\\w$])`,
    'm',
  );
  if (!declaration.test(source)) return false;
  return members.every((member) => new RegExp(`(?:^|[\\s{,])['"]?${escapeRegExp(member)}['"]?\\s*[:(]`, 'm').test(source));
}

export interface ClauseMapInput {
  /** docs/clauses.md */
  map: string;
  /** Seed number ('003') → the seed's text. */
  seeds: ReadonlyMap<string, string>;
  /** A project file's text by its path from the project root, or null when there is none. */
  readFile: (path: string) => string | null;
}

/**
 * Everything wrong with the map, one problem per fault, named by its row: a clause of the seeds
 * the map lacks, a row for no clause, a clause covered twice, a status that is not one of the five
 * or lacks its reason, an implemented row without code or test, a file that does not exist, a name
 * the file does not declare, a test title the test file does not have.
 */
export function checkClauseMap(input: ClauseMapInput): ClauseMapProblem[] {
  const { rows, problems } = parseClauseMap(input.map);
  if (rows.length === 0) problems.push({ row: null, message: 'the map has no rows' });

  const seedClauses = new Map<string, SeedClauses>();
  for (const [seed, text] of input.seeds) seedClauses.set(seed, parseSeedClauses(text));

  const seen = new Map<string, MapRow>();
  for (const row of rows) {
    const name = row.clause;
    if (seen.has(name)) problems.push({ row: name, message: `appears twice (lines ${seen.get(name)!.line} and ${row.line})` });
    seen.set(name, row);

    const clauses = seedClauses.get(row.seed);
    if (!clauses) problems.push({ row: name, message: `seed ${row.seed} does not exist` });
    else if (!clauses.ids.has(row.id)) problems.push({ row: name, message: `no clause ${row.id} in seed ${row.seed}` });

    if (row.status === null) problems.push({ row: name, message: `status is not one of: ${STATUSES.join(', ')}` });
    else if (row.status !== 'implemented' && row.status !== 'not yet' && row.statusNote === '') {
      problems.push({ row: name, message: `status "${row.status}" must say ${row.status === 'partly' ? 'what is missing' : 'why'}` });
    }
    if (row.status === 'implemented' && (row.code.length === 0 || row.tests.length === 0)) {
      problems.push({ row: name, message: 'implemented, but names no code or no test that shows it' });
    }
    if (row.status === 'partly' && row.code.length > 0 && row.tests.length === 0) {
      problems.push({ row: name, message: 'partly, with code but no test that shows it' });
    }
    if (row.summary === '') problems.push({ row: name, message: 'has no summary' });

    for (const ref of row.code) {
      const source = input.readFile(ref.file);
      if (source === null) {
        problems.push({ row: name, message: `code ${ref.file}: no such file (moved or renamed?)` });
        continue;
      }
      for (const declared of ref.names) {
        if (!declares(source, declared)) problems.push({ row: name, message: `code ${ref.file} declares no ${declared}` });
      }
    }
    for (const ref of row.tests) {
      const source = input.readFile(ref.file);
      if (source === null) {
        problems.push({ row: name, message: `test ${ref.file}: no such file (moved or renamed?)` });
        continue;
      }
      const titles = testTitles(source);
      for (const title of ref.titles) {
        if (!titles.has(title)) problems.push({ row: name, message: `test ${ref.file} has no test titled "${title}"` });
      }
    }
  }

  for (const [seed, clauses] of seedClauses) {
    for (const [unit, children] of clauses.units) {
      const own = seen.has(`${seed} ${unit}`);
      const covered = children.filter((child) => seen.has(`${seed} ${child}`));
      if (own && covered.length > 0) {
        problems.push({ row: `${seed} ${unit}`, message: `covered twice: by its own row and by ${covered.map((c) => `${seed} ${c}`).join(', ')}` });
      } else if (!own && covered.length === 0) {
        problems.push({ row: `${seed} ${unit}`, message: 'in the seed but not in the map' });
      } else if (!own && covered.length < children.length) {
        const missing = children.filter((child) => !covered.includes(child));
        problems.push({ row: `${seed} ${unit}`, message: `split into sub-items, but ${missing.map((c) => `${seed} ${c}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the map` });
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Counts

export type StatusCounts = Record<Status, number>;

/** Rows by seed and status, plus 'all'. */
export function countByStatus(rows: readonly MapRow[]): Map<string, StatusCounts> {
  const empty = (): StatusCounts => ({ implemented: 0, partly: 0, 'not yet': 0, 'not for software': 0, 'not applicable': 0 });
  const counts = new Map<string, StatusCounts>();
  for (const row of [...rows].sort((a, b) => a.seed.localeCompare(b.seed))) {
    if (row.status === null) continue;
    for (const key of [row.seed, 'all']) {
      if (!counts.has(key)) counts.set(key, empty());
      counts.get(key)![row.status]++;
    }
  }
  return counts;
}

/**
 * Checks the counts table a document shows (README.md, docs/clauses.md) against the rows: its
 * lines «| seed | implemented | partly | not yet | not for software | not applicable | rows |» whose
 * first cell starts with a seed number or «all». A line that disagrees, or a seed without a line,
 * is a problem.
 */
export function checkCountsTable(document: string, where: string, rows: readonly MapRow[]): ClauseMapProblem[] {
  const expected = countByStatus(rows);
  const problems: ClauseMapProblem[] = [];
  const found = new Set<string>();
  for (const line of document.split(/\r?\n/)) {
    const cells = cellsOf(line);
    if (!cells || cells.length !== 7) continue;
    const key = cells[0]!.replace(/\*/g, '').replace(/^\[?(\d{3}|all)\]?.*$/, '$1');
    if (!/^(\d{3}|all)$/.test(key)) continue;
    found.add(key);
    const want = expected.get(key);
    const numbers = cells.slice(1).map((cell) => Number(cell.replace(/\*/g, '')));
    const wanted = want ? [...STATUSES.map((status) => want[status]), STATUSES.reduce((sum, status) => sum + want[status], 0)] : null;
    if (!wanted || numbers.some((n, i) => n !== wanted[i])) {
      problems.push({ row: null, message: `${where}: counts for ${key} are ${numbers.join(' / ')}, the map has ${wanted ? wanted.join(' / ') : 'no such seed'}` });
    }
  }
  for (const key of expected.keys()) if (!found.has(key)) problems.push({ row: null, message: `${where}: no counts line for ${key}` });
  return problems;
}
