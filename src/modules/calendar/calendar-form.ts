/**
 * The calendar year editor as plain text: one textarea per list, one entry a line, so that what
 * an administrator types is kept exactly as typed when something in it is wrong.
 *
 *   transfers          2024-05-08 > 2024-05-04 | act      (weekday off > weekend day worked | source)
 *   added holidays     2026-12-31 | kk name | ru name | en name [| fixed]
 *   removed holidays   2026-08-30
 *
 * "fixed" marks a holiday that stays on a weekend instead of giving the next working day off
 * (as religious holidays do, Labour Code art. 84). No I/O here.
 */
import type { FieldError } from '../../errors.ts';
import type { AddedHoliday, CalendarDataProblem, DayOffTransfer, YearData } from './working-days.ts';

export interface CalendarYearForm {
  kurban_ait: string;
  transfers: string;
  added_holidays: string;
  removed_holidays: string;
  source: string;
  provisional: boolean;
}

export const CALENDAR_SOURCE_MAX = 4000;
const FIXED_MARK = 'fixed';
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TRANSFER = /^(\S+)\s*>\s*(\S+)\s*(?:\|\s*(.*))?$/;

function lines(text: string): Array<{ line: number; text: string }> {
  return text
    .split(/\r\n|\r|\n/)
    .map((raw, index) => ({ line: index + 1, text: raw.trim() }))
    .filter((entry) => entry.text !== '');
}

export function formFromYearData(data: YearData): CalendarYearForm {
  return {
    kurban_ait: data.kurbanAit ?? '',
    transfers: data.transfers.map((t) => `${t.dayOff} > ${t.workday}${t.source ? ` | ${t.source}` : ''}`).join('\n'),
    added_holidays: data.addedHolidays
      .map((h) => [h.date, h.name.kk, h.name.ru, h.name.en, ...(h.movable ? [] : [FIXED_MARK])].join(' | '))
      .join('\n'),
    removed_holidays: data.removedHolidays.join('\n'),
    source: data.source,
    provisional: data.provisional,
  };
}

export type ParsedCalendarYear = { ok: true; data: YearData } | { ok: false; errors: FieldError[] };

/** The form's text as YearData, or the lines that cannot be read (the rules are checked afterwards). */
export function parseCalendarYearForm(form: CalendarYearForm): ParsedCalendarYear {
  const errors: FieldError[] = [];
  const kurbanAit = form.kurban_ait.trim();
  if (kurbanAit !== '' && !DATE.test(kurbanAit)) errors.push({ field: 'kurban_ait', rule: 'admin.calendar.errors.date_format' });

  const transfers: DayOffTransfer[] = [];
  for (const { line, text } of lines(form.transfers)) {
    const match = TRANSFER.exec(text);
    if (!match || !DATE.test(match[1]!) || !DATE.test(match[2]!)) {
      errors.push({ field: 'transfers', rule: 'admin.calendar.errors.transfer_line', params: { line } });
      continue;
    }
    transfers.push({ dayOff: match[1]!, workday: match[2]!, source: (match[3] ?? '').trim() });
  }

  const addedHolidays: AddedHoliday[] = [];
  for (const { line, text } of lines(form.added_holidays)) {
    const parts = text.split('|').map((part) => part.trim());
    const fixed = parts.length === 5 && parts[4]!.toLowerCase() === FIXED_MARK;
    const [date = '', kk = '', ru = '', en = ''] = parts;
    if ((parts.length !== 4 && !fixed) || !DATE.test(date) || !kk || !ru || !en) {
      errors.push({ field: 'added_holidays', rule: 'admin.calendar.errors.holiday_line', params: { line } });
      continue;
    }
    addedHolidays.push({ date, name: { kk, ru, en }, movable: !fixed });
  }

  const removedHolidays: string[] = [];
  for (const { line, text } of lines(form.removed_holidays)) {
    if (!DATE.test(text)) {
      errors.push({ field: 'removed_holidays', rule: 'admin.calendar.errors.date_line', params: { line } });
      continue;
    }
    removedHolidays.push(text);
  }

  const source = form.source.trim();
  if (source === '') errors.push({ field: 'source', rule: 'required' });
  else if (source.length > CALENDAR_SOURCE_MAX) errors.push({ field: 'source', rule: 'too_long', params: { max: CALENDAR_SOURCE_MAX } });

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    data: { kurbanAit: kurbanAit === '' ? null : kurbanAit, transfers, addedHolidays, removedHolidays, source, provisional: form.provisional },
  };
}

/** The form field a date named by a problem was typed in. */
function fieldOfDate(data: YearData, date: string): keyof CalendarYearForm {
  if (data.addedHolidays.some((h) => h.date === date)) return 'added_holidays';
  if (data.removedHolidays.includes(date)) return 'removed_holidays';
  if (data.transfers.some((t) => t.dayOff === date || t.workday === date)) return 'transfers';
  return 'kurban_ait';
}

const FIELD_OF_CODE: Partial<Record<CalendarDataProblem['code'], keyof CalendarYearForm>> = {
  removed_not_a_holiday: 'removed_holidays',
  transfer_day_off_not_a_working_weekday: 'transfers',
  transfer_workday_not_a_free_weekend_day: 'transfers',
  duplicate_transfer: 'transfers',
};

/**
 * findCalendarDataProblems' findings as field errors of the year being edited. A problem in
 * another year (a weekend holiday's day off or a transfer crossing the new year) is shown on the
 * transfers, where such conflicts come from.
 */
export function problemsAsFieldErrors(year: number, data: YearData, problems: readonly CalendarDataProblem[]): FieldError[] {
  return problems.map((problem): FieldError => {
    if (problem.year !== year) {
      return { field: 'transfers', rule: 'admin.calendar.errors.other_year', params: { year: problem.year, value: problem.value } };
    }
    const field = FIELD_OF_CODE[problem.code] ?? fieldOfDate(data, problem.value);
    return { field, rule: `admin.calendar.errors.${problem.code}`, params: { value: problem.value } };
  });
}
