import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkClauseMap, checkCountsTable, type ClauseMapProblem, parseClauseMap, parseSeedClauses, testTitles } from '../support/clause-map.ts';

/** docs/clauses.md kept true: against the seeds, the code and the tests (tests/support/clause-map.ts). */

// Not through src/config.ts: this test must keep working while src/ is moved around.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const seedsDir = path.resolve(root, '..', 'shared', 'seeds');

function readSeeds(): Map<string, string> {
  const seeds = new Map<string, string>();
  for (const file of readdirSync(seedsDir).sort()) {
    const number = /^(\d{3})_.*\.txt$/.exec(file)?.[1];
    if (number) seeds.set(number, readFileSync(path.join(seedsDir, file), 'utf8'));
  }
  return seeds;
}

function readProjectFile(relative: string): string | null {
  const file = path.resolve(root, relative);
  if (!file.startsWith(root + path.sep) || !existsSync(file)) return null;
  return readFileSync(file, 'utf8');
}

const lines = (problems: ClauseMapProblem[]) => problems.map((p) => (p.row ? `${p.row}: ${p.message}` : p.message));

describe('docs/clauses.md', () => {
  const map = readFileSync(path.join(root, 'docs', 'clauses.md'), 'utf8');

  it('has every clause of the seeds, and every file, name and test title it points to exists', () => {
    const seeds = readSeeds();
    expect([...seeds.keys()]).toEqual(['000', '001', '002', '003', '004']);
    expect(lines(checkClauseMap({ map, seeds, readFile: readProjectFile }))).toEqual([]);
  });

  it('gives the counts its rows add up to, and so does the README', () => {
    const { rows } = parseClauseMap(map);
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain('docs/clauses.md');
    expect(lines([...checkCountsTable(map, 'docs/clauses.md', rows), ...checkCountsTable(readme, 'README.md', rows)])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The checker itself, on small planted maps

const SEED = `Приказ № 1
ПРИКАЗЫВАЮ:
      1. Утвердить прилагаемые Правила.
      2. Настоящий приказ вводится в действие.
Утверждены
Правила
      1. Настоящие Правила определяют порядок.
      2. Сервисный интегратор в течение пяти рабочих дней:
      1) проверяет сведения;
      2) присваивает учетный код.
Приложение 1
Критерии
1 Масштаб
1.1
.
Более 1 ЦГО 1 0
1.2 Все подразделения 1 0
`;

const FILES: Record<string, string> = {
  'src/review.ts': 'export function decide(): void {}\nexport const MOVES = {\n  commission: {},\n};\n',
  'tests/review.test.ts': "it('decides within five working days', () => {});\nit.each([1])('counts %s', () => {});\n",
};

function row(clause: string, status: string, code = '', test = ''): string {
  return `| ${clause} | A summary. «ключ» | ${status} | ${code} | ${test} |`;
}

const GOOD_ROWS = [
  row('900 Order §1', 'not applicable — enacting clause'),
  row('900 Order §2', 'not applicable — entry into force'),
  row('900 §1', 'not applicable — purpose'),
  row('900 §2.1', 'implemented', '`src/review.ts` `decide`', '`tests/review.test.ts` "decides within five working days"'),
  row('900 §2.2', 'partly — no check digits', '`src/review.ts` `MOVES.commission`', '`tests/review.test.ts` "counts %s"'),
  row('900 Annex 1 1.1', 'not yet'),
  row('900 Annex 1 1.2', 'not for software — the authorized body decides'),
];

function check(rows: string[]): ClauseMapProblem[] {
  const map = ['| Clause | What | Status | Code | Test |', '|---|---|---|---|---|', ...rows].join('\n');
  return checkClauseMap({ map, seeds: new Map([['900', SEED]]), readFile: (file) => FILES[file] ?? null });
}

function replaced(clause: string, replacement: string | null): string[] {
  return GOOD_ROWS.flatMap((line) => (line.startsWith(`| ${clause} |`) ? (replacement === null ? [] : [replacement]) : [line]));
}

describe('checkClauseMap', () => {
  it('accepts a map that is right', () => {
    expect(check(GOOD_ROWS)).toEqual([]);
  });

  it('names the row whose function is not declared in its file', () => {
    const problems = check(replaced('900 §2.1', row('900 §2.1', 'implemented', '`src/review.ts` `decideCase`', '`tests/review.test.ts` "decides within five working days"')));
    expect(problems).toEqual([{ row: '900 §2.1', message: 'code src/review.ts declares no decideCase' }]);
  });

  it('names the row whose member is missing from its declared object', () => {
    const problems = check(replaced('900 §2.2', row('900 §2.2', 'partly — no check digits', '`src/review.ts` `MOVES.terminate`', '`tests/review.test.ts` "counts %s"')));
    expect(problems).toEqual([{ row: '900 §2.2', message: 'code src/review.ts declares no MOVES.terminate' }]);
  });

  it('names the row whose file was moved', () => {
    const problems = check(replaced('900 §2.1', row('900 §2.1', 'implemented', '`src/reviews/review.ts` `decide`', '`tests/review.test.ts` "decides within five working days"')));
    expect(problems).toEqual([{ row: '900 §2.1', message: 'code src/reviews/review.ts: no such file (moved or renamed?)' }]);
  });

  it('names the row whose test title is not in its test file', () => {
    const problems = check(replaced('900 §2.1', row('900 §2.1', 'implemented', '`src/review.ts` `decide`', '`tests/review.test.ts` "decides within 5 working days"')));
    expect(problems).toEqual([{ row: '900 §2.1', message: 'test tests/review.test.ts has no test titled "decides within 5 working days"' }]);
  });

  it('names a clause of the seed that the map lacks', () => {
    expect(check(replaced('900 §1', null))).toEqual([{ row: '900 §1', message: 'in the seed but not in the map' }]);
    expect(check(replaced('900 Annex 1 1.2', null))).toEqual([{ row: '900 Annex 1 1', message: 'split into sub-items, but 900 Annex 1 1.2 is not in the map' }]);
  });

  it('names a row for a clause the seed does not have, and a clause covered twice', () => {
    expect(check([...GOOD_ROWS, row('900 §3', 'not yet')])).toEqual([{ row: '900 §3', message: 'no clause §3 in seed 900' }]);
    expect(check([...GOOD_ROWS, row('900 §2', 'not yet')])).toEqual([{ row: '900 §2', message: 'covered twice: by its own row and by 900 §2.1, 900 §2.2' }]);
  });

  it('names a row with an unknown status, a reason missing, or implemented without code or test', () => {
    expect(check(replaced('900 Annex 1 1.1', row('900 Annex 1 1.1', 'planned')))).toEqual([{ row: '900 Annex 1 1.1', message: 'status is not one of: implemented, partly, not yet, not for software, not applicable' }]);
    expect(check(replaced('900 §1', row('900 §1', 'not applicable')))).toEqual([{ row: '900 §1', message: 'status "not applicable" must say why' }]);
    expect(check(replaced('900 §2.1', row('900 §2.1', 'implemented', '`src/review.ts` `decide`')))).toEqual([{ row: '900 §2.1', message: 'implemented, but names no code or no test that shows it' }]);
  });
});

describe('parseSeedClauses', () => {
  it('reads the order, the rules with their sub-items and the annex table of the planted seed', () => {
    const { units } = parseSeedClauses(SEED);
    expect(Object.fromEntries(units)).toEqual({
      'Order §1': [],
      'Order §2': [],
      '§1': [],
      '§2': ['§2.1', '§2.2'],
      'Annex 1 1': ['Annex 1 1.1', 'Annex 1 1.2'],
    });
  });

  it('finds the same clauses when a seed holds its text twice (Russian and Kazakh copies)', () => {
    for (const text of readSeeds().values()) {
      expect(parseSeedClauses(`${text}\n${text}`).ids).toEqual(parseSeedClauses(text).ids);
    }
  });

  it('takes no clause from running-text references, footnotes or quoted amending text', () => {
    const text = [
      'БҰЙЫРАМЫН:',
      '1. Бұйрыққа өзгерістер енгізілсін:',
      '2-тармақ мынадай редакцияда жазылсын:',
      '"2. Осы Қағидаларда мынадай ұғымдар қолданылады:',
      '1) бір реттік пароль;',
      '15) электрондық цифрлық қолтаңба.";',
      'Сноска. Пункт 2 с изменениями, предусмотренных подпунктами 1), 2)',
      '2. Осы бұйрық қолданысқа енгізіледі.',
    ].join('\n');
    expect(Object.fromEntries(parseSeedClauses(text).units)).toEqual({ 'Order §1': [], 'Order §2': [] });
  });

  it('counts an annex the text refers to even when its heading is lost', () => {
    const text = ['бекітілген', '6. Осы Қағидаларға 2-қосымшаға сәйкес нысан бойынша өтінім береді.'].join('\n');
    expect([...parseSeedClauses(text).units.keys()]).toEqual(['§6', 'Annex 2']);
  });
});

describe('testTitles', () => {
  it('reads it(), test() and it.each()() titles with their escapes', () => {
    const source = "it('a', () => {});\ntest(\"b\", () => {});\nit.each([[1, 2]])(\n  'c %s', () => {});\nit('the extract\\'s code', () => {});\ndescribe('d', () => {});";
    expect([...testTitles(source)]).toEqual(['a', 'b', 'c %s', "the extract's code"]);
  });
});
