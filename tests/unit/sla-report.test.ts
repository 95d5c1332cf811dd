import { describe, expect, it } from 'vitest';
import { KAZAKHSTAN_CALENDAR_2024_2027 as KZ } from '../../src/modules/calendar/kz-calendar-data.ts';
import { addWorkingDays, CalendarYearMissingError, toAlmatyDate, type CalendarData } from '../../src/modules/calendar/working-days.ts';
import {
  buildSlaReport,
  slaChartSvg,
  slaReportCsv,
  type SlaCase,
  type SlaReport,
  type SlaRow,
} from '../../src/modules/reviews/sla-report.ts';

/**
 * March 2026 in Kazakhstan: Sunday 8 March gives Monday 9 March off; Nauryz 21–23 March
 * (Sat–Mon) gives 24 and 25 March off, so nobody works from Saturday 21 to Wednesday 25.
 * Working days: 2–6, 10–13, 16–20, 26–27, 30–31. Almaty is UTC+5.
 */
const almaty = (local: string) => new Date(`${local}+05:00`);
const NOW = almaty('2026-04-02T12:00:00');

type Who = { id: string; name: string } | null;
const AIGERIM = { id: 'r-a', name: 'Айгерим Сапарова' };
const BORIS = { id: 'r-b', name: 'Борис Ким' };
const SCRIPT = { id: 'r-c', name: '<script>&"' };
const DANIYAR = { id: 'r-d', name: 'Данияр Омаров' };
const ERLAN = { id: 'r-e', name: 'Ерлан' };

function kase(id: string, who: Who, receivedAt: Date, dueOn: string, decidedAt: Date | null, name = who?.name ?? null): SlaCase {
  return {
    id,
    receivedAt,
    dueOn,
    decidedAt,
    decision: decidedAt === null ? null : 'approved',
    reviewerId: who?.id ?? null,
    reviewerName: who === null ? null : name,
  };
}

const CASES: SlaCase[] = [
  // Aigerim: 3 decided (odd count), review times 5, 6, 0 → median 5.
  kase('a1', AIGERIM, almaty('2026-03-06T10:00:00'), '2026-03-16', almaty('2026-03-16T23:59:00')), // on time, 5
  kase('a2', AIGERIM, almaty('2026-03-06T11:00:00'), '2026-03-16', new Date('2026-03-16T19:01:00Z')), // 17 Mar 00:01 Almaty: late, 6
  kase('a3', AIGERIM, almaty('2026-03-04T09:00:00'), '2026-03-12', almaty('2026-03-04T17:00:00')), // same day: 0
  // Boris: 4 decided (even count), review times 1, 3, 4, 7 → median 3.5.
  kase('b1', BORIS, almaty('2026-03-20T15:00:00'), '2026-04-01', almaty('2026-03-26T10:00:00')), // across Nauryz: 1
  kase('b2', BORIS, almaty('2026-03-14T12:00:00'), '2026-03-20', almaty('2026-03-18T10:00:00')), // received Saturday: 3
  kase('b3', BORIS, almaty('2026-02-26T16:00:00'), '2026-03-05', almaty('2026-03-04T10:00:00')), // received in February: 4
  kase('b4', BORIS, new Date('2026-02-28T19:30:00Z'), '2026-03-06', almaty('2026-03-11T09:00:00')), // 1 Mar in Almaty; late, 7
  kase('b5', BORIS, almaty('2026-03-19T09:00:00'), '2026-03-31', null), // open, overdue since 1 April
  kase('b6', BORIS, almaty('2026-03-26T10:00:00'), '2026-04-02', null), // open, due today: not overdue
  // `<script>&"`: 2 decided the day they were received (0 each); renamed in between.
  kase('c1', SCRIPT, almaty('2026-03-30T10:00:00'), '2026-04-06', almaty('2026-03-30T16:00:00'), 'Old name'),
  kase('c2', SCRIPT, almaty('2026-03-31T09:00:00'), '2026-04-07', almaty('2026-03-31T18:00:00')),
  // Daniyar: nothing in March but a February case still open and overdue.
  kase('d1', DANIYAR, almaty('2026-02-10T09:00:00'), '2026-02-17', null),
  // Erlan: received in March, decided in April → no March row; e2 is April in Almaty, March in UTC.
  kase('e1', ERLAN, almaty('2026-03-30T11:00:00'), '2026-04-06', almaty('2026-04-01T10:00:00')),
  kase('e2', ERLAN, new Date('2026-03-31T20:00:00Z'), '2026-04-08', null),
  // Nobody has taken these.
  kase('u1', null, almaty('2026-03-20T12:00:00'), '2026-04-01', null), // overdue
  kase('u2', null, almaty('2026-04-01T10:00:00'), '2026-04-08', null),
];

const row = (report: SlaReport, reviewerId: string | null): SlaRow => {
  const found = report.rows.find((r) => r.reviewerId === reviewerId);
  if (found === undefined) throw new Error(`no row for ${reviewerId}`);
  return found;
};

const CSV_LABELS = {
  reviewer: 'Эксперт',
  received: 'Поступило',
  decided: 'Рассмотрено',
  onTime: 'В срок',
  onTimeShare: 'Доля в срок, %',
  median: 'Медиана, раб. дней',
  openOverdue: 'Просрочено',
  overall: 'Итого',
  unassigned: 'Не назначено',
};
const CHART_LABELS = {
  title: 'SLA, март 2026',
  onTimeShare: 'Доля в срок',
  median: 'Медиана, раб. дней',
  overall: 'Итого',
  unassigned: 'Не назначено',
  noData: 'Нет данных',
};

describe('test data', () => {
  it('every due day is the 5th working day after the day of receipt', () => {
    for (const c of CASES) expect(c.dueOn, c.id).toBe(addWorkingDays(toAlmatyDate(c.receivedAt), 5, KZ));
  });
});

describe('buildSlaReport, March 2026', () => {
  const report = buildSlaReport(CASES, '2026-03', KZ, NOW);

  it('has a row per reviewer who decided a case in the month or holds an overdue one, sorted by name, unassigned last', () => {
    expect(report.month).toBe('2026-03');
    expect(report.rows.map((r) => r.reviewerId)).toEqual(['r-c', 'r-a', 'r-b', 'r-d', null]);
    expect(report.rows.map((r) => r.reviewerName)).toEqual(['<script>&"', 'Айгерим Сапарова', 'Борис Ким', 'Данияр Омаров', null]);
  });

  it('counts receipts and decisions by the Almaty month, and on time at the due-day boundary', () => {
    expect(row(report, 'r-a')).toEqual({
      reviewerId: 'r-a',
      reviewerName: 'Айгерим Сапарова',
      received: 3,
      decided: 3,
      decidedOnTime: 2, // 23:59 on the due day is on time, 00:01 the next day is not
      onTimeShare: 2 / 3,
      medianWorkingDays: 5,
      openOverdue: 0,
    });
  });

  it('counts working days across a weekend and Nauryz; median of an even count is the mean of the middle two', () => {
    expect(row(report, 'r-b')).toEqual({
      reviewerId: 'r-b',
      reviewerName: 'Борис Ким',
      received: 5, // b3 was received in February; b4 at 2026-02-28T19:30Z is 1 March in Almaty
      decided: 4,
      decidedOnTime: 3,
      onTimeShare: 0.75,
      medianWorkingDays: 3.5, // [1, 3, 4, 7]
      openOverdue: 1, // b5 (due 31 March); b6 is due today
    });
  });

  it('counts a decision on the day of receipt as 0 working days and takes the latest name', () => {
    expect(row(report, 'r-c')).toMatchObject({ received: 2, decided: 2, decidedOnTime: 2, onTimeShare: 1, medianWorkingDays: 0 });
  });

  it('shows a reviewer with only an old overdue case, and the unassigned overdue cases', () => {
    expect(row(report, 'r-d')).toEqual({
      reviewerId: 'r-d',
      reviewerName: 'Данияр Омаров',
      received: 0,
      decided: 0,
      decidedOnTime: 0,
      onTimeShare: null,
      medianWorkingDays: null,
      openOverdue: 1,
    });
    expect(row(report, null)).toEqual({
      reviewerId: null,
      reviewerName: null,
      received: 1,
      decided: 0,
      decidedOnTime: 0,
      onTimeShare: null,
      medianWorkingDays: null,
      openOverdue: 1,
    });
  });

  it('leaves out a reviewer who only received cases, but counts them overall', () => {
    expect(report.rows.some((r) => r.reviewerId === 'r-e')).toBe(false);
    expect(report.overall).toEqual({
      reviewerId: null,
      reviewerName: null,
      received: 12, // not b3, d1 (February), e2 (April in Almaty), u2
      decided: 9,
      decidedOnTime: 7,
      onTimeShare: 7 / 9,
      medianWorkingDays: 3, // odd count: [0, 0, 0, 1, 3, 4, 5, 6, 7]
      openOverdue: 3, // b5, d1, u1
    });
  });
});

describe('buildSlaReport, other cases', () => {
  it('puts a case received at 2026-03-31T20:00Z into April (Almaty)', () => {
    const april = buildSlaReport(CASES, '2026-04', KZ, NOW);
    expect(april.overall).toMatchObject({ received: 2, decided: 1 }); // e2 and u2; e1
    expect(row(april, 'r-e')).toMatchObject({ received: 1, decided: 1, decidedOnTime: 1, medianWorkingDays: 2, openOverdue: 0 }); // 30 Mar → 1 Apr
  });

  it('is a snapshot at `now`: later receipts and decisions have not happened', () => {
    const now = almaty('2026-03-17T12:00:00');
    const cases = [
      kase('x1', BORIS, almaty('2026-03-06T10:00:00'), '2026-03-16', almaty('2026-03-18T10:00:00')), // decided after now
      kase('x2', BORIS, almaty('2026-03-18T10:00:00'), '2026-03-25', null), // received after now
    ];
    const report = buildSlaReport(cases, '2026-03', KZ, now);
    expect(report.overall).toMatchObject({ received: 1, decided: 0, openOverdue: 1 });
    expect(row(report, 'r-b')).toMatchObject({ received: 1, decided: 0, openOverdue: 1 });
  });

  it('reports nothing for an empty month', () => {
    const empty = buildSlaReport([], '2026-05', KZ, NOW);
    expect(empty.rows).toEqual([]);
    expect(empty.overall).toMatchObject({ received: 0, decided: 0, onTimeShare: null, medianWorkingDays: null, openOverdue: 0 });
  });

  it('refuses a malformed month or due day, and a year the calendar lacks', () => {
    expect(() => buildSlaReport(CASES, '2026-3', KZ, NOW)).toThrow(RangeError);
    expect(() => buildSlaReport(CASES, '2026-13', KZ, NOW)).toThrow(RangeError);
    expect(() => buildSlaReport([{ ...CASES[0]!, dueOn: '16.03.2026' }], '2026-03', KZ, NOW)).toThrow(RangeError);
    const only2025: CalendarData = { years: { 2025: KZ.years[2025]! } };
    expect(() => buildSlaReport(CASES.slice(0, 1), '2026-03', only2025, NOW)).toThrow(CalendarYearMissingError);
  });
});

describe('slaReportCsv', () => {
  const report = buildSlaReport(CASES, '2026-03', KZ, NOW);
  const csv = slaReportCsv(report, CSV_LABELS);

  it('starts with a UTF-8 BOM, ends records with CRLF, and has a header and an overall row', () => {
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    expect(csv.slice(1).split('\r\n')).toEqual([
      'Эксперт,Поступило,Рассмотрено,В срок,"Доля в срок, %","Медиана, раб. дней",Просрочено',
      '"<script>&""",2,2,2,100.0,0,0',
      'Айгерим Сапарова,3,3,2,66.7,5,0',
      'Борис Ким,5,4,3,75.0,3.5,1',
      'Данияр Омаров,0,0,0,,,1',
      'Не назначено,1,0,0,,,1',
      'Итого,12,9,7,77.8,3,3',
      '',
    ]);
  });

  it('quotes commas, quotes and line breaks, and defuses spreadsheet formulas', () => {
    const base = report.rows[0]!;
    const custom: SlaReport = {
      month: '2026-03',
      rows: [
        { ...base, reviewerId: '1', reviewerName: 'Ким, Борис' },
        { ...base, reviewerId: '2', reviewerName: 'Line\nbreak' },
        { ...base, reviewerId: '3', reviewerName: '=HYPERLINK("x")' },
        { ...base, reviewerId: '4', reviewerName: null },
      ],
      overall: report.overall,
    };
    const lines = slaReportCsv(custom, CSV_LABELS).slice(1).split('\r\n');
    expect(lines[1]).toBe('"Ким, Борис",2,2,2,100.0,0,0');
    expect(lines[2]).toBe('"Line\nbreak",2,2,2,100.0,0,0');
    expect(lines[3]).toBe(`"'=HYPERLINK(""x"")",2,2,2,100.0,0,0`);
    expect(lines[4]).toBe('4,2,2,2,100.0,0,0'); // no name: the id
  });
});

// ---------------------------------------------------------------------------------------------
// A tiny XML well-formedness check: tags balanced, one root, attributes quoted, text free of raw
// '<' and of '&' outside entity references.

const NAME = '[A-Za-z_][\\w.:-]*';
const ENTITY = '&(?:amp|lt|gt|quot|apos|#\\d+|#x[0-9A-Fa-f]+);';
const ATTR_VALUE = `"(?:[^"<&]|${ENTITY})*"`;
const START_TAG = new RegExp(`^<(${NAME})((?:\\s+${NAME}\\s*=\\s*${ATTR_VALUE})*)\\s*(/?)>$`);
const END_TAG = new RegExp(`^</(${NAME})\\s*>$`);
const TEXT = new RegExp(`^(?:[^<&]|${ENTITY})*$`);

function xmlProblems(doc: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  let pos = 0;
  while (pos < doc.length) {
    const lt = doc.indexOf('<', pos);
    const text = doc.slice(pos, lt === -1 ? doc.length : lt);
    if (!TEXT.test(text)) problems.push(`bad text ${JSON.stringify(text)}`);
    if (text.trim() !== '' && stack.length === 0) problems.push(`text outside the root ${JSON.stringify(text)}`);
    if (lt === -1) break;
    const gt = doc.indexOf('>', lt);
    if (gt === -1) {
      problems.push('unterminated tag');
      break;
    }
    const tag = doc.slice(lt, gt + 1);
    const end = END_TAG.exec(tag);
    const start = START_TAG.exec(tag);
    if (end) {
      const open = stack.pop();
      if (open !== end[1]) problems.push(`</${end[1]}> closes <${open}>`);
    } else if (start) {
      if (stack.length === 0 && ++roots > 1) problems.push('more than one root');
      if (start[3] !== '/') stack.push(start[1]!);
      const names = [...(start[2] ?? '').matchAll(new RegExp(`(${NAME})\\s*=`, 'g'))].map((m) => m[1]);
      if (new Set(names).size !== names.length) problems.push(`duplicate attribute in ${tag}`);
    } else {
      problems.push(`bad tag ${tag}`);
    }
    pos = gt + 1;
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join(' ')}`);
  if (roots !== 1) problems.push(`${roots} roots`);
  return problems;
}

describe('the XML check itself', () => {
  it('catches what it should', () => {
    expect(xmlProblems('<svg><g></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text>a & b</text></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text a="<">x</text></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg a=b/>')).not.toEqual([]);
    expect(xmlProblems('<svg/><svg/>')).not.toEqual([]);
    expect(xmlProblems('<svg x="1"><text>a &amp; b &lt;</text><g/></svg>')).toEqual([]);
  });
});

describe('slaChartSvg', () => {
  const report = buildSlaReport(CASES, '2026-03', KZ, NOW);
  const svg = slaChartSvg(report, CHART_LABELS);

  it('is well-formed, self-contained and accessible', () => {
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="640" height="\d+" viewBox="0 0 640 \d+" role="img" aria-labelledby="sla-chart-2026-03-title" aria-describedby="sla-chart-2026-03-desc"/);
    expect(svg).toContain('<title id="sla-chart-2026-03-title">SLA, март 2026</title>');
    expect(svg).toMatch(/<desc id="sla-chart-2026-03-desc">[^<]*Борис Ким: Доля в срок 75\.0%, Медиана, раб\. дней 3\.5/);
    expect(svg).not.toMatch(/<script|<style|<image|<foreignObject|href=|url\(|@import|@font-face/i);
  });

  it('escapes every name', () => {
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;&amp;&quot;');
    const nasty = slaChartSvg(
      { ...report, rows: [{ ...report.rows[0]!, reviewerName: `a'b"c</text><script>alert(1)</script>\u0001` }] },
      { ...CHART_LABELS, title: 'T & <b>', overall: '"all"' },
    );
    expect(xmlProblems(nasty)).toEqual([]);
    expect(nasty).not.toContain('<script');
    expect(nasty).not.toContain('\u0001');
  });

  it('draws a bar per reviewer and overall, its width the on-time share, with the share and median beside it', () => {
    const bars = [...svg.matchAll(/<rect x="208" y="[\d.]+" width="([\d.]+)" height="16" fill="#(?:1f6feb|0a3069)"\/>/g)].map((m) => Number(m[1]));
    // <script>&" 100 %, Aigerim 66.7 %, Boris 75 %, (Daniyar, unassigned: nothing decided), overall 77.8 %
    expect(bars).toEqual([240, 160, 180, Math.round((7 / 9) * 2400) / 10]);
    expect(svg).toContain('>75.0%</text>');
    expect(svg).toContain('>3.5</text>');
    expect(svg).toContain('>Не назначено</text>');
    expect(svg).toContain('>Итого</text>');
    expect((svg.match(/>—<\/text>/g) ?? []).length).toBe(4); // share and median of Daniyar and unassigned
  });

  it('grows in height with the rows', () => {
    const height = (s: string) => Number(/height="(\d+)"/.exec(s)?.[1]);
    const fewer = slaChartSvg({ ...report, rows: report.rows.slice(0, 2) }, CHART_LABELS);
    expect(height(svg) - height(fewer)).toBe(3 * 28);
  });

  it('formats numbers for the caller’s locale', () => {
    const ru = slaChartSvg(report, { ...CHART_LABELS, locale: 'ru' });
    expect(ru).toContain('>75,0\u00A0%</text>');
    expect(ru).toContain('>3,5</text>');
  });

  it('says there is no data when there are no rows', () => {
    const empty = slaChartSvg(buildSlaReport([], '2026-05', KZ, NOW), CHART_LABELS);
    expect(xmlProblems(empty)).toEqual([]);
    expect(empty).toContain('>Нет данных</text>');
    expect(empty).not.toContain('<rect x="208"');
  });

  it('shortens long names and keeps the full one as a tooltip', () => {
    const long = 'Абдрахманова-Жумабекова Айгерим Нурлановна';
    const s = slaChartSvg({ ...report, rows: [{ ...report.rows[1]!, reviewerName: long }] }, CHART_LABELS);
    expect(s).toContain(`<title>${long}</title>`);
    expect(s).toContain(`>${Array.from(long).slice(0, 25).join('')}…</text>`);
  });
});
