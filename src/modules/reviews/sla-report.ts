/**
 * The monthly SLA report of the service integrator's reviewers: each review case must be decided
 * within 5 working days (Kazakh working-day calendar). Pure: the cases, the calendar and the
 * current time are passed in; nothing here reads the clock, the database or the files.
 *
 * Rules
 *   - The report is a snapshot at `now`: a receipt or a decision timestamped after `now` has not
 *     happened yet (the case is not received / is still open).
 *   - Months and days are those of Asia/Almaty: a case counts as *received* in the month when
 *     `receivedAt` falls in it there (2026-03-31T20:00Z is 1 April in Almaty), and as *decided* in
 *     the month when `decidedAt` does. A case received in February and decided in March is decided
 *     in March but not received in March.
 *   - A decision is *on time* when `decidedAt` ≤ the end of `dueOn` (23:59:59.999 Almaty), so a
 *     decision at 23:59 on the due day is on time and one at 00:01 the next day is late.
 *   - *Review time* in working days follows the deadline's convention ("within N working days from
 *     receipt" starts on the working day after the day of receipt): the working days from the
 *     working day after the day of receipt to the day of decision, inclusive, i.e.
 *     `workingDaysBetween(receivedDay, decidedDay)`. A decision on the day of receipt counts 0, a
 *     decision on the due day computed by `addWorkingDays(receivedDay, 5)` counts 5, and a case
 *     received on a Saturday or a holiday and decided on the next working day counts 1. (A decision
 *     dated before its receipt, which is bad data, counts 0 rather than a negative number.)
 *   - *Median* review time is over the cases decided in the month: the middle value, or the mean
 *     of the two middle values for an even count, rounded to 1 decimal; null when none.
 *   - *On-time share* = decidedOnTime / decided, a fraction 0–1 (not rounded); null when decided = 0.
 *   - *Open overdue*: cases received at any time, still undecided at `now`, whose `dueOn` has
 *     ended (Almaty) before `now`; not limited to the month.
 *   - Rows: one per reviewer (`reviewerId`; null is the "unassigned" row) who decided at least one
 *     case in the month or holds an open overdue case. Cases are attributed to the reviewer who
 *     decided or took them. `received` in a row counts the month's receipts of that reviewer's
 *     cases; a reviewer who only received cases (none decided, none overdue) has no row, so the
 *     rows' `received` need not add up to the overall one. The overall row counts every case.
 *   - A reviewer's name is taken from their most recent case (by decision, else receipt time), in
 *     case it changed; rows are sorted by the name shown (name, else id) with a Kazakh/Russian
 *     collation, the unassigned row last.
 *
 * Throws RangeError for a malformed month, `dueOn` or Date, and CalendarYearMissingError when a
 * review time needs a year the calendar has no data for.
 */
import { type CalendarData, endOfAlmatyDay, toAlmatyDate, workingDaysBetween } from '../calendar/working-days.ts';

export interface SlaCase {
  id: string;
  /** When the complete submission was received (the case opened). */
  receivedAt: Date;
  /** 'YYYY-MM-DD', the last working day (end of day Almaty) it may be decided on. */
  dueOn: string;
  /** Null while open. */
  decidedAt: Date | null;
  decision: 'approved' | 'returned' | null;
  /** Who decided (or took) it; null while nobody has taken it. */
  reviewerId: string | null;
  reviewerName: string | null;
}

export interface SlaRow {
  /** Null for the unassigned row, and in `overall`. */
  reviewerId: string | null;
  reviewerName: string | null;
  received: number;
  decided: number;
  decidedOnTime: number;
  /** decidedOnTime / decided (0–1), null when decided = 0. */
  onTimeShare: number | null;
  /** Median review time in working days, 1 decimal; null when decided = 0. */
  medianWorkingDays: number | null;
  openOverdue: number;
}

export interface SlaReport {
  /** 'YYYY-MM' */
  month: string;
  /** One per reviewer, sorted by name, the unassigned row (reviewerId null) last. */
  rows: SlaRow[];
  overall: SlaRow;
}

export interface SlaCsvLabels {
  reviewer: string;
  received: string;
  decided: string;
  onTime: string;
  onTimeShare: string;
  median: string;
  openOverdue: string;
  overall: string;
  unassigned: string;
}

export interface SlaChartLabels {
  title: string;
  onTimeShare: string;
  median: string;
  overall: string;
  unassigned: string;
  noData: string;
  /** BCP 47 locale for numbers ('ru' → "87,5 %"); defaults to 'en' ("87.5%"). */
  locale?: string;
}

// ---------------------------------------------------------------------------------------------
// The report

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

interface Tally {
  reviewerId: string | null;
  reviewerName: string | null;
  /** When the name was last seen, to keep the most recent one. */
  nameSeenAt: number;
  received: number;
  decidedOnTime: number;
  reviewDays: number[];
  openOverdue: number;
}

function newTally(reviewerId: string | null): Tally {
  return { reviewerId, reviewerName: null, nameSeenAt: Number.NEGATIVE_INFINITY, received: 0, decidedOnTime: 0, reviewDays: [], openOverdue: 0 };
}

function requireInstant(date: Date, what: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${what} is not a valid Date`);
  return ms;
}

/** The usual median, rounded to 1 decimal; null for no values. */
function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const value = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(value * 10) / 10;
}

function toRow(tally: Tally): SlaRow {
  const decided = tally.reviewDays.length;
  return {
    reviewerId: tally.reviewerId,
    reviewerName: tally.reviewerName,
    received: tally.received,
    decided,
    decidedOnTime: tally.decidedOnTime,
    onTimeShare: decided === 0 ? null : tally.decidedOnTime / decided,
    medianWorkingDays: median(tally.reviewDays),
    openOverdue: tally.openOverdue,
  };
}

const nameCollator = new Intl.Collator(['kk', 'ru', 'en']);

function compareRows(a: SlaRow, b: SlaRow): number {
  if ((a.reviewerId === null) !== (b.reviewerId === null)) return a.reviewerId === null ? 1 : -1;
  const byName = nameCollator.compare(a.reviewerName ?? a.reviewerId ?? '', b.reviewerName ?? b.reviewerId ?? '');
  if (byName !== 0) return byName;
  const aId = a.reviewerId ?? '';
  const bId = b.reviewerId ?? '';
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

export function buildSlaReport(cases: readonly SlaCase[], month: string, calendar: CalendarData, now: Date): SlaReport {
  if (!MONTH.test(month)) throw new RangeError(`"${month}" is not a month YYYY-MM`);
  const nowMs = requireInstant(now, 'now');
  const tallies = new Map<string | null, Tally>();
  const overall = newTally(null);
  const inMonth = (instant: Date) => toAlmatyDate(instant).slice(0, 7) === month;

  for (const item of cases) {
    const receivedMs = requireInstant(item.receivedAt, `case ${item.id} receivedAt`);
    if (receivedMs > nowMs) continue; // not received yet at `now`
    const dueEndMs = endOfAlmatyDay(item.dueOn).getTime(); // also validates dueOn
    const decidedMs = item.decidedAt === null ? null : requireInstant(item.decidedAt, `case ${item.id} decidedAt`);
    const decided = decidedMs !== null && decidedMs <= nowMs;

    let tally = tallies.get(item.reviewerId);
    if (tally === undefined) {
      tally = newTally(item.reviewerId);
      tallies.set(item.reviewerId, tally);
    }
    const seenAt = decided ? (decidedMs as number) : receivedMs;
    if (item.reviewerId !== null && item.reviewerName !== null && seenAt >= tally.nameSeenAt) {
      tally.reviewerName = item.reviewerName;
      tally.nameSeenAt = seenAt;
    }

    const targets = [tally, overall];
    if (inMonth(item.receivedAt)) for (const t of targets) t.received++;
    if (decided && inMonth(item.decidedAt as Date)) {
      const days = Math.max(0, workingDaysBetween(toAlmatyDate(item.receivedAt), toAlmatyDate(item.decidedAt as Date), calendar));
      const onTime = (decidedMs as number) <= dueEndMs;
      for (const t of targets) {
        t.reviewDays.push(days);
        if (onTime) t.decidedOnTime++;
      }
    }
    if (!decided && nowMs > dueEndMs) for (const t of targets) t.openOverdue++;
  }

  const rows = [...tallies.values()]
    .filter((t) => t.reviewDays.length > 0 || t.openOverdue > 0)
    .map(toRow)
    .sort(compareRows);
  return { month, rows, overall: toRow(overall) };
}

// ---------------------------------------------------------------------------------------------
// CSV

/** The name a row is shown under. */
function rowLabel(row: SlaRow, unassigned: string): string {
  return row.reviewerId === null ? unassigned : (row.reviewerName ?? row.reviewerId);
}

/**
 * A spreadsheet treats a cell starting with = + - @ (or tab / CR) as a formula; a reviewer's name
 * is user data, so such text gets a leading apostrophe (OWASP "CSV injection").
 */
function neutraliseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

const percentOneDecimal = (share: number | null): string => (share === null ? '' : (Math.round(share * 1000) / 10).toFixed(1));

/**
 * RFC 4180 CSV: comma-separated, fields with a comma, quote or line break quoted (quotes doubled),
 * CRLF after every record; a header row from `labels`, a row per reviewer, then the overall row.
 * Numbers are plain ("87.5" for the on-time share in percent with one decimal, the median with at
 * most one decimal); empty when not applicable (nothing decided). Starts with a UTF-8 byte order
 * mark (U+FEFF): without it Excel reads the file in the local ANSI code page and garbles
 * Cyrillic and Kazakh names. Serve it as `text/csv; charset=utf-8`.
 */
export function slaReportCsv(report: SlaReport, labels: SlaCsvLabels): string {
  const header = [labels.reviewer, labels.received, labels.decided, labels.onTime, labels.onTimeShare, labels.median, labels.openOverdue];
  const record = (name: string, row: SlaRow) => [
    neutraliseFormula(name),
    String(row.received),
    String(row.decided),
    String(row.decidedOnTime),
    percentOneDecimal(row.onTimeShare),
    row.medianWorkingDays === null ? '' : String(row.medianWorkingDays),
    String(row.openOverdue),
  ];
  const records = [
    header.map(neutraliseFormula),
    ...report.rows.map((row) => record(rowLabel(row, labels.unassigned), row)),
    record(labels.overall, report.overall),
  ];
  return `\uFEFF${records.map((fields) => `${fields.map(csvField).join(',')}\r\n`).join('')}`;
}

// ---------------------------------------------------------------------------------------------
// SVG

/** Characters XML 1.0 does not allow at all (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/F). */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for both element content and double-quoted attribute values. */
function xml(text: string): string {
  return text
    .replace(XML_INVALID, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Shortens by code points, so that a surrogate pair is never split. */
function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const WIDTH = 640;
const NAME_X = 8;
const NAME_MAX_CHARS = 26;
const BAR_X = 208;
const BAR_WIDTH = 240;
const SHARE_X = 520; // right edge of the share text
const MEDIAN_X = 632; // right edge of the median text
const TOP = 60; // first row
const ROW_HEIGHT = 28;
const BAR_HEIGHT = 16;
const OVERALL_GAP = 10;
const COLOURS = { text: '#1b1f24', muted: '#57606a', track: '#e6e8eb', bar: '#1f6feb', overall: '#0a3069', grid: '#d0d7de' };

/**
 * A self-contained, accessible SVG (role="img" with <title> and <desc>, the desc listing every
 * value for screen readers): a horizontal bar per reviewer and one for the overall row showing the
 * on-time share on a 0–100 % scale, the share and the median working days printed beside it.
 * 640 wide; the height grows with the rows. Generic font families only, no scripts, no external
 * references; all text is escaped. Names longer than 26 characters are shortened with "…", the full
 * name kept as the row's tooltip (<title>). With no rows it shows `labels.noData`.
 * The ids inside are derived from the month, so two charts of the same month on one page would clash.
 */
export function slaChartSvg(report: SlaReport, labels: SlaChartLabels): string {
  const locale = labels.locale ?? 'en';
  const percent = new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const tickPercent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const shareText = (share: number | null) => (share === null ? '—' : percent.format(share));
  const medianText = (value: number | null) => (value === null ? '—' : decimal.format(value));
  const idBase = `sla-chart-${report.month.replace(/[^0-9A-Za-z-]/g, '')}`;
  const titleId = `${idBase}-title`;
  const descId = `${idBase}-desc`;

  const open = (height: number, desc: string) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${titleId}" aria-describedby="${descId}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" font-size="12" fill="${COLOURS.text}">` +
    `<title id="${titleId}">${xml(labels.title)}</title>` +
    `<desc id="${descId}">${xml(desc)}</desc>` +
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>` +
    `<text x="${NAME_X}" y="24" font-size="16" font-weight="bold">${xml(labels.title)}</text>`;

  if (report.rows.length === 0) {
    return `${open(72, labels.noData)}<text x="${NAME_X}" y="54" fill="${COLOURS.muted}">${xml(labels.noData)}</text></svg>`;
  }

  const entries = [
    ...report.rows.map((row) => ({ row, name: rowLabel(row, labels.unassigned), overall: false })),
    { row: report.overall, name: labels.overall, overall: true },
  ];
  const rowY = (index: number, overall: boolean) => TOP + index * ROW_HEIGHT + (overall ? OVERALL_GAP : 0);
  const lastY = rowY(entries.length - 1, true);
  const axisY = lastY + ROW_HEIGHT + 4; // baseline of the tick labels
  const height = axisY + 12;

  const desc = entries
    .map(({ row, name }) => `${name}: ${labels.onTimeShare} ${shareText(row.onTimeShare)}, ${labels.median} ${medianText(row.medianWorkingDays)}`)
    .join('; ');

  const parts: string[] = [open(height, desc)];
  // Column headings.
  parts.push(`<text x="${BAR_X}" y="48" fill="${COLOURS.muted}">${xml(labels.onTimeShare)}</text>`);
  parts.push(`<text x="${MEDIAN_X}" y="48" text-anchor="end" fill="${COLOURS.muted}">${xml(labels.median)}</text>`);
  // Grid lines at 0, 25, 50, 75 and 100 %, with tick labels under the last row.
  const gridTop = TOP - 4;
  const gridBottom = lastY + ROW_HEIGHT - 6;
  parts.push(`<g aria-hidden="true">`);
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const x = BAR_X + tick * BAR_WIDTH;
    parts.push(`<line x1="${x}" y1="${gridTop}" x2="${x}" y2="${gridBottom}" stroke="${COLOURS.grid}" stroke-width="1"/>`);
    parts.push(`<text x="${x}" y="${axisY}" text-anchor="middle" font-size="10" fill="${COLOURS.muted}">${xml(tickPercent.format(tick))}</text>`);
  }
  parts.push(`</g>`);
  // The separator before the overall row.
  const separatorY = lastY - OVERALL_GAP / 2;
  parts.push(`<line x1="${NAME_X}" y1="${separatorY}" x2="${MEDIAN_X}" y2="${separatorY}" stroke="${COLOURS.grid}" stroke-width="1"/>`);

  entries.forEach(({ row, name, overall }, index) => {
    const y = rowY(index, overall);
    const barY = y + (ROW_HEIGHT - BAR_HEIGHT) / 2 - 4;
    const textY = barY + BAR_HEIGHT - 4;
    const fillWidth = row.onTimeShare === null ? 0 : Math.round(Math.min(1, Math.max(0, row.onTimeShare)) * BAR_WIDTH * 10) / 10;
    const weight = overall ? ' font-weight="bold"' : '';
    parts.push(`<g>`);
    parts.push(`<title>${xml(name)}</title>`);
    parts.push(`<text x="${NAME_X}" y="${textY}"${weight}>${xml(truncate(name, NAME_MAX_CHARS))}</text>`);
    parts.push(`<rect x="${BAR_X}" y="${barY}" width="${BAR_WIDTH}" height="${BAR_HEIGHT}" fill="${COLOURS.track}" fill-opacity="0.6"/>`);
    if (fillWidth > 0) {
      parts.push(`<rect x="${BAR_X}" y="${barY}" width="${fillWidth}" height="${BAR_HEIGHT}" fill="${overall ? COLOURS.overall : COLOURS.bar}"/>`);
    }
    parts.push(`<text x="${SHARE_X}" y="${textY}" text-anchor="end"${weight}>${xml(shareText(row.onTimeShare))}</text>`);
    parts.push(`<text x="${MEDIAN_X}" y="${textY}" text-anchor="end"${weight}>${xml(medianText(row.medianWorkingDays))}</text>`);
    parts.push(`</g>`);
  });
  parts.push(`</svg>`);
  return parts.join('');
}
