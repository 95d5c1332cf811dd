import { describe, expect, it } from 'vitest';
import {
  buildKazakhstanCalendarData,
  KAZAKHSTAN_CALENDAR_2024_2027 as KZ,
} from '../../src/modules/calendar/kz-calendar-data.ts';
import {
  addWorkingDays,
  CalendarDataError,
  CalendarYearMissingError,
  deadlineStatus,
  describeDay,
  dueAt,
  endOfAlmatyDay,
  findCalendarDataProblems,
  holidaysOfYear,
  isWorkingDay,
  nonWorkingReason,
  startOfAlmatyDay,
  toAlmatyDate,
  workingDaysBetween,
  yearExceptions,
  type CalendarData,
  type YearData,
} from '../../src/modules/calendar/working-days.ts';

/** domain.md "Non-working days known so far", row by row. */
const DOMAIN_TABLE: Record<number, { weekdaysOff: string[]; weekendWorkdays: string[] }> = {
  2024: {
    weekdaysOff: ['01-01', '01-02', '03-08', '03-21', '03-22', '03-25', '05-01', '05-07', '05-08', '05-09', '07-08', '08-30', '10-25', '12-16'],
    weekendWorkdays: ['05-04'],
  },
  2025: {
    weekdaysOff: ['01-01', '01-02', '01-03', '01-07', '03-10', '03-21', '03-24', '03-25', '05-01', '05-07', '05-09', '06-06', '07-07', '09-01', '10-27', '12-16'],
    weekendWorkdays: ['01-05'],
  },
  2026: {
    weekdaysOff: ['01-01', '01-02', '01-07', '03-09', '03-23', '03-24', '03-25', '05-01', '05-07', '05-11', '05-27', '07-06', '10-26', '12-16'],
    weekendWorkdays: [],
  },
  2027: {
    weekdaysOff: ['01-01', '01-04', '01-07', '03-08', '03-15', '03-22', '03-23', '03-24', '05-03', '05-07', '05-10', '07-06', '10-25', '12-16'],
    weekendWorkdays: [],
  },
};

function daysOfYear(year: number): string[] {
  const days: string[] = [];
  for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

const isWeekendDate = (date: string) => [0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay());

function yearData(data: CalendarData, year: number): YearData {
  const found = data.years[year];
  if (found === undefined) throw new Error(`test data lacks ${year}`);
  return found;
}

/** A copy of the shipped calendar with one year replaced by `patch` applied to it. */
function withYear(year: number, patch: Partial<YearData>): CalendarData {
  const data = buildKazakhstanCalendarData();
  data.years[year] = { ...yearData(data, year), ...patch };
  return data;
}

const emptyYear = (patch: Partial<YearData> = {}): YearData => ({
  kurbanAit: null,
  transfers: [],
  addedHolidays: [],
  removedHolidays: [],
  source: 'test',
  provisional: false,
  ...patch,
});

describe('the domain.md table, 2024–2027', () => {
  for (const [yearKey, expected] of Object.entries(DOMAIN_TABLE)) {
    const year = Number(yearKey);

    it(`${year}: exactly the listed weekdays are days off`, () => {
      expect(yearExceptions(year, KZ).weekdaysOff).toEqual(expected.weekdaysOff.map((d) => `${year}-${d}`));
    });

    it(`${year}: exactly the listed weekend days are worked`, () => {
      expect(yearExceptions(year, KZ).weekendWorkdays).toEqual(expected.weekendWorkdays.map((d) => `${year}-${d}`));
    });

    it(`${year}: isWorkingDay agrees with the table on every day of the year`, () => {
      const weekdaysOff = new Set(expected.weekdaysOff.map((d) => `${year}-${d}`));
      const weekendWorkdays = new Set(expected.weekendWorkdays.map((d) => `${year}-${d}`));
      const disagreements = daysOfYear(year).filter((date) => {
        const expectedWorking = isWeekendDate(date) ? weekendWorkdays.has(date) : !weekdaysOff.has(date);
        return isWorkingDay(date, KZ) !== expectedWorking;
      });
      expect(disagreements).toEqual([]);
    });
  }

  it('2024: Kurban Ait fell on Sunday 16 June and Monday 17 June stayed a working day', () => {
    expect(nonWorkingReason('2024-06-16', KZ)).toMatchObject({ kind: 'holiday', holiday: { key: 'kurban-ait' } });
    expect(isWorkingDay('2024-06-17', KZ)).toBe(true);
  });

  it('2026: 30 August (a Sunday) is no longer a holiday, so 31 August is worked', () => {
    expect(nonWorkingReason('2026-08-30', KZ)).toEqual({ kind: 'weekend' });
    expect(isWorkingDay('2026-08-31', KZ)).toBe(true);
  });

  it('2027: 30 August is an ordinary Monday and 15 March is Constitution Day', () => {
    expect(isWorkingDay('2027-08-30', KZ)).toBe(true);
    expect(nonWorkingReason('2027-03-15', KZ)).toMatchObject({ kind: 'holiday', holiday: { key: 'constitution-day' } });
  });
});

describe('reasons', () => {
  it('names the holiday in Kazakh, Russian and English', () => {
    expect(nonWorkingReason('2025-12-16', KZ)).toEqual({
      kind: 'holiday',
      holiday: {
        date: '2025-12-16',
        key: 'independence-day',
        name: { kk: 'Тәуелсіздік күні', ru: 'День Независимости', en: 'Independence Day' },
        movable: true,
      },
    });
    for (const year of [2024, 2025, 2026, 2027]) {
      for (const holiday of holidaysOfYear(year, KZ)) {
        expect(holiday.name.kk && holiday.name.ru && holiday.name.en, holiday.date).toBeTruthy();
      }
    }
  });

  it('reports weekends, and null for working days', () => {
    expect(nonWorkingReason('2025-02-08', KZ)).toEqual({ kind: 'weekend' });
    expect(nonWorkingReason('2025-02-10', KZ)).toBeNull();
    expect(describeDay('2025-02-10', KZ)).toEqual({ date: '2025-02-10', working: true, reason: { kind: 'weekday' }, provisional: false });
  });

  it('moves a holiday on a weekend to the next working day (Capital Day, Sat 6 July 2024)', () => {
    expect(nonWorkingReason('2024-07-06', KZ)).toMatchObject({ kind: 'holiday', holiday: { key: 'capital-day' } });
    expect(nonWorkingReason('2024-07-08', KZ)).toMatchObject({ kind: 'moved_day_off', holiday: { date: '2024-07-06' } });
  });

  it('moves past a holiday that follows the weekend (Victory Day 2026: Sat 9 May → Mon 11 May)', () => {
    expect(nonWorkingReason('2026-05-11', KZ)).toMatchObject({ kind: 'moved_day_off', holiday: { key: 'victory-day' } });
  });

  it('does not move 7 January off a weekend (Sunday 7 January 2024)', () => {
    expect(nonWorkingReason('2024-01-07', KZ)).toMatchObject({ kind: 'holiday', holiday: { key: 'orthodox-christmas', movable: false } });
    expect(isWorkingDay('2024-01-08', KZ)).toBe(true);
  });

  it('puts the extra days of a run after the whole run: Nauryz 2025 (Fri–Sun)', () => {
    expect(nonWorkingReason('2025-03-24', KZ)).toMatchObject({ kind: 'moved_day_off', holiday: { date: '2025-03-22' } });
    expect(nonWorkingReason('2025-03-25', KZ)).toMatchObject({ kind: 'moved_day_off', holiday: { date: '2025-03-23' } });
    expect(isWorkingDay('2025-03-26', KZ)).toBe(true);
  });

  it('puts the extra days of a run after the whole run: Nauryz 2026 (Sat–Mon)', () => {
    expect(nonWorkingReason('2026-03-23', KZ)).toMatchObject({ kind: 'holiday', holiday: { key: 'nauryz' } });
    expect(nonWorkingReason('2026-03-24', KZ)).toMatchObject({ kind: 'moved_day_off', holiday: { date: '2026-03-21' } });
    expect(nonWorkingReason('2026-03-25', KZ)).toMatchObject({ kind: 'moved_day_off', holiday: { date: '2026-03-22' } });
    expect(isWorkingDay('2026-03-26', KZ)).toBe(true);
  });

  it('puts the extra days of a run after the whole run: Nauryz 2027 (Sun–Tue) and New Year 2027 (Fri–Sat)', () => {
    expect(nonWorkingReason('2027-03-24', KZ)).toMatchObject({ kind: 'moved_day_off', holiday: { date: '2027-03-21' } });
    expect(nonWorkingReason('2027-01-04', KZ)).toMatchObject({ kind: 'moved_day_off', holiday: { date: '2027-01-02' } });
  });

  it('gives two days after 1–2 January when both fall on the weekend', () => {
    const data: CalendarData = { years: { 2022: emptyYear() } };
    expect(yearExceptions(2022, data).weekdaysOff.slice(0, 3)).toEqual(['2022-01-03', '2022-01-04', '2022-01-07']);
  });

  it('applies transfers: Saturday 4 May 2024 worked for Wednesday 8 May off', () => {
    expect(describeDay('2024-05-04', KZ)).toMatchObject({ working: true, reason: { kind: 'transferred_workday' } });
    expect(nonWorkingReason('2024-05-08', KZ)).toMatchObject({
      kind: 'transferred_day_off',
      transfer: { dayOff: '2024-05-08', workday: '2024-05-04' },
    });
  });

  it('applies transfers: Sunday 5 January 2025 worked for Friday 3 January off', () => {
    expect(isWorkingDay('2025-01-05', KZ)).toBe(true);
    expect(nonWorkingReason('2025-01-03', KZ)).toMatchObject({ kind: 'transferred_day_off' });
    expect(isWorkingDay('2025-01-04', KZ)).toBe(false);
  });

  it('applies a transfer that crosses the year boundary (3 January 2014 off for Saturday 28 December 2013)', () => {
    const transfer = { dayOff: '2014-01-03', workday: '2013-12-28', source: 'test' };
    const data: CalendarData = { years: { 2013: emptyYear(), 2014: emptyYear({ transfers: [transfer] }) } };
    expect(isWorkingDay('2013-12-28', data)).toBe(true);
    expect(isWorkingDay('2014-01-03', data)).toBe(false);
  });

  it('marks the days of provisional years', () => {
    expect(describeDay('2026-06-01', KZ).provisional).toBe(true);
    expect(describeDay('2027-06-01', KZ).provisional).toBe(true);
    expect(describeDay('2025-06-02', KZ).provisional).toBe(false);
  });
});

describe('per-year data that administrators edit', () => {
  it('lists the holidays of a year, with Kurban Ait from the data', () => {
    const keys2026 = holidaysOfYear(2026, KZ).map((h) => `${h.date} ${h.key}`);
    expect(keys2026).toContain('2026-05-27 kurban-ait');
    expect(keys2026.some((k) => k.startsWith('2026-08-30'))).toBe(false);
    expect(holidaysOfYear(2027, KZ).some((h) => h.key === 'kurban-ait')).toBe(false);
    expect(holidaysOfYear(2024, KZ)).toHaveLength(15); // 1–2 Jan, 7 Jan, 8 Mar, 21–23 Mar, 1/7/9 May, 6 Jul, 30 Aug, 25 Oct, 16 Dec, Kurban Ait
  });

  it('takes the Kurban Ait date once it is announced; on a weekday it is a day off, on a weekend nothing moves', () => {
    const monday = withYear(2027, { kurbanAit: '2027-05-17' });
    expect(isWorkingDay('2027-05-17', monday)).toBe(false);
    const sunday = withYear(2027, { kurbanAit: '2027-05-16' });
    expect(yearExceptions(2027, sunday).weekdaysOff).toEqual(yearExceptions(2027, KZ).weekdaysOff);
  });

  it('lets Kurban Ait give way to a statutory holiday on the same date', () => {
    const data: CalendarData = { years: { 2032: emptyYear({ kurbanAit: '2032-03-22' }) } };
    expect(findCalendarDataProblems(data)).toEqual([]);
    expect(nonWorkingReason('2032-03-22', data)).toMatchObject({ kind: 'holiday', holiday: { key: 'nauryz' } });
  });

  it('lets an administrator add a holiday for one year, moved by the same rule', () => {
    const data = withYear(2026, {
      addedHolidays: [{ date: '2026-08-30', name: { kk: 'Конституция күні', ru: 'День Конституции', en: 'Constitution Day' }, movable: true }],
    });
    expect(nonWorkingReason('2026-08-31', data)).toMatchObject({ kind: 'moved_day_off', holiday: { date: '2026-08-30' } });
  });

  it('lets an administrator remove a statutory holiday for one year', () => {
    const data = withYear(2027, { removedHolidays: ['2027-03-15'] });
    expect(isWorkingDay('2027-03-15', data)).toBe(true);
  });

  it('works the same from JSON as stored in the database (year keys become strings)', () => {
    const fromJson = JSON.parse(JSON.stringify(KZ)) as CalendarData;
    for (const year of [2024, 2025, 2026, 2027]) expect(yearExceptions(year, fromJson)).toEqual(yearExceptions(year, KZ));
  });

  it('ships frozen data and hands out mutable copies', () => {
    expect(Object.isFrozen(yearData(KZ, 2024).transfers)).toBe(true);
    const copy = buildKazakhstanCalendarData();
    expect(copy).toEqual(KZ);
    yearData(copy, 2024).transfers.push({ dayOff: '2024-12-30', workday: '2024-12-28', source: 'test' });
    expect(yearData(KZ, 2024).transfers).toHaveLength(1);
  });

  it('gives every year a legal source and flags 2026 and 2027 as provisional', () => {
    for (const year of [2024, 2025, 2026, 2027]) expect(yearData(KZ, year).source).toMatch(/On holidays/);
    expect([2024, 2025, 2026, 2027].map((y) => yearData(KZ, y).provisional)).toEqual([false, false, true, true]);
  });

  it('finds no problem in the shipped data', () => {
    expect(findCalendarDataProblems(KZ)).toEqual([]);
  });

  it('finds the problems an administrator can make', () => {
    const problems = findCalendarDataProblems({
      years: {
        2001: emptyYear(),
        2024: emptyYear({ kurbanAit: '2025-06-06' }),
        2025: emptyYear({ removedHolidays: ['2025-02-03'], addedHolidays: [{ date: '2025-05-01', name: { kk: 'x', ru: 'x', en: 'x' }, movable: true }] }),
        2026: emptyYear({ kurbanAit: '2026-02-30' }),
      },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { year: 2001, code: 'year_not_supported', value: '2001' },
        { year: 2024, code: 'date_outside_year', value: '2025-06-06' },
        { year: 2025, code: 'removed_not_a_holiday', value: '2025-02-03' },
        { year: 2025, code: 'duplicate_holiday', value: '2025-05-01' },
        { year: 2026, code: 'invalid_date', value: '2026-02-30' },
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('checks transfers against the rules', () => {
    const problems = findCalendarDataProblems({
      years: {
        2025: emptyYear({
          transfers: [
            { dayOff: '2025-01-07', workday: '2025-01-04', source: 'day off already a holiday' },
            { dayOff: '2025-01-06', workday: '2025-01-08', source: 'workday not a weekend' },
            { dayOff: '2025-02-03', workday: '2025-03-22', source: 'workday is Nauryz' },
            { dayOff: '2025-02-04', workday: '2025-01-04', source: 'the same Saturday twice' },
          ],
        }),
      },
    });
    expect(problems).toEqual([
      { year: 2025, code: 'transfer_day_off_not_a_working_weekday', value: '2025-01-07' },
      { year: 2025, code: 'transfer_workday_not_a_free_weekend_day', value: '2025-01-08' },
      { year: 2025, code: 'transfer_workday_not_a_free_weekend_day', value: '2025-03-22' },
      { year: 2025, code: 'duplicate_transfer', value: '2025-01-04' },
    ]);
  });

  it('refuses to compute with inconsistent data', () => {
    const data = withYear(2025, { removedHolidays: ['2025-02-03'] });
    expect(() => isWorkingDay('2025-02-03', data)).toThrow(CalendarDataError);
  });
});

describe('missing years', () => {
  it('throws CalendarYearMissingError with the year instead of guessing', () => {
    const error = (() => {
      try {
        isWorkingDay('2028-01-03', KZ);
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(CalendarYearMissingError);
    expect((error as CalendarYearMissingError).year).toBe(2028);
  });

  it('throws when arithmetic walks into a year without data', () => {
    expect(() => addWorkingDays('2027-12-30', 2, KZ)).toThrow(CalendarYearMissingError);
    expect(() => workingDaysBetween('2023-12-20', '2024-01-10', KZ)).toThrow(CalendarYearMissingError);
    expect(() => dueAt(new Date('2027-12-30T10:00:00+05:00'), 3, KZ)).toThrow(CalendarYearMissingError);
    expect(() => nonWorkingReason('2023-12-31', KZ)).toThrow(CalendarYearMissingError);
    expect(() => holidaysOfYear(2028, KZ)).toThrow(CalendarYearMissingError);
  });

  it('does not need the year before `from` (it is not counted)', () => {
    expect(addWorkingDays('2023-12-31', 1, KZ)).toBe('2024-01-03');
    expect(workingDaysBetween('2023-12-31', '2024-01-03', KZ)).toBe(1);
  });
});

describe('addWorkingDays and workingDaysBetween', () => {
  it('crosses into the New Year run: 31 December → the first working day of January', () => {
    expect(addWorkingDays('2024-12-31', 1, KZ)).toBe('2025-01-05'); // 1–3 Jan off, Sun 5 Jan worked
    expect(addWorkingDays('2025-12-31', 1, KZ)).toBe('2026-01-05');
    expect(addWorkingDays('2026-12-31', 1, KZ)).toBe('2027-01-05'); // 4 Jan is the moved day off
    expect(workingDaysBetween('2024-12-27', '2025-01-08', KZ)).toBe(5); // 30, 31 Dec, 5, 6, 8 Jan
  });

  it('n = 0 is the day itself when working, else the next working day', () => {
    expect(addWorkingDays('2025-03-20', 0, KZ)).toBe('2025-03-20');
    expect(addWorkingDays('2025-03-21', 0, KZ)).toBe('2025-03-26');
    expect(addWorkingDays('2024-05-04', 0, KZ)).toBe('2024-05-04');
  });

  it('counts from the day after, whatever the day is', () => {
    expect(addWorkingDays('2025-03-20', 1, KZ)).toBe('2025-03-26');
    expect(addWorkingDays('2025-03-22', 1, KZ)).toBe('2025-03-26');
    expect(addWorkingDays('2024-05-03', 1, KZ)).toBe('2024-05-04');
    expect(addWorkingDays('2024-05-03', 5, KZ)).toBe('2024-05-14'); // Sat 4 (worked), 6, 10, 13, 14 May; 7–9 off
  });

  it('is negative backwards and zero on the same day', () => {
    expect(workingDaysBetween('2025-03-26', '2025-03-20', KZ)).toBe(-1);
    expect(workingDaysBetween('2025-03-26', '2025-03-26', KZ)).toBe(0);
    expect(workingDaysBetween('2025-03-21', '2025-03-25', KZ)).toBe(0);
  });

  it('rejects bad input', () => {
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => addWorkingDays('2025-01-06', n, KZ)).toThrow(RangeError);
    for (const date of ['2025-1-6', '2025-02-29', '06.01.2025', '', '2025-01-06T00:00:00Z']) {
      expect(() => isWorkingDay(date, KZ)).toThrow(RangeError);
    }
  });

  it('are inverse over every day of 2024–2027 for n = 0..15', () => {
    const failures: string[] = [];
    let checked = 0;
    for (const year of [2024, 2025, 2026, 2027]) {
      for (const date of daysOfYear(year)) {
        for (let n = 0; n <= 15; n++) {
          let result: string;
          try {
            result = addWorkingDays(date, n, KZ);
          } catch (error) {
            // Only the last days of 2027 may run into 2028, which has no data.
            if (!(error instanceof CalendarYearMissingError && error.year === 2028 && date >= '2027-12-01')) {
              failures.push(`${date} +${n}: ${String(error)}`);
            }
            continue;
          }
          checked++;
          const between = workingDaysBetween(date, result, KZ);
          const expected = n === 0 && !isWorkingDay(date, KZ) ? 1 : n;
          if (between !== expected) failures.push(`${date} +${n} = ${result}: between ${between}`);
          if (!isWorkingDay(result, KZ)) failures.push(`${date} +${n} = ${result}: not a working day`);
          if (workingDaysBetween(result, date, KZ) !== -between) failures.push(`${date} ${result}: not antisymmetric`);
          // Going back: the n-th working day is the first day at which the count reaches n.
          if (n >= 1 && workingDaysBetween(date, dayBefore(result), KZ) !== n - 1) failures.push(`${date} +${n}: not the first`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(4 * 365 * 16 - 16 * 20);
  });
});

describe('Asia/Almaty days and instants', () => {
  it('reads the Almaty date of an instant, not the UTC one', () => {
    expect(toAlmatyDate(new Date('2026-03-20T19:30:00Z'))).toBe('2026-03-21');
    expect(toAlmatyDate(new Date('2026-03-20T18:59:59.999Z'))).toBe('2026-03-20');
    expect(toAlmatyDate(new Date('2026-03-20T19:00:00Z'))).toBe('2026-03-21');
  });

  it('uses UTC+6 before 1 March 2024 and UTC+5 after (29 February 2024 lasted 25 hours)', () => {
    expect(toAlmatyDate(new Date('2024-02-28T18:00:00Z'))).toBe('2024-02-29');
    expect(toAlmatyDate(new Date('2024-02-29T18:30:00Z'))).toBe('2024-02-29');
    expect(startOfAlmatyDay('2024-02-29').toISOString()).toBe('2024-02-28T18:00:00.000Z');
    expect(startOfAlmatyDay('2024-03-01').toISOString()).toBe('2024-02-29T19:00:00.000Z');
    expect(endOfAlmatyDay('2024-02-29').toISOString()).toBe('2024-02-29T18:59:59.999Z');
    expect(endOfAlmatyDay('2023-07-01').toISOString()).toBe('2023-07-01T17:59:59.999Z');
    expect(endOfAlmatyDay('2026-07-01').toISOString()).toBe('2026-07-01T18:59:59.999Z');
  });

  it('gives the same day as the time-zone database for instants asked in any order (it remembers the last day)', () => {
    const reference = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Almaty', year: 'numeric', month: '2-digit', day: '2-digit' });
    const instants: number[] = [];
    // Across the 25-hour 29 February 2024, an ordinary midnight, and the first and last millisecond of days.
    for (const [from, to] of [['2024-02-28T12:00:00Z', '2024-03-01T12:00:00Z'], ['2026-03-20T12:00:00Z', '2026-03-21T12:00:00Z']] as const) {
      for (let ms = Date.parse(from); ms <= Date.parse(to); ms += 7 * 60 * 1000 + 13) instants.push(ms);
    }
    instants.push(Date.parse('2024-02-29T18:59:59.999Z'), Date.parse('2024-02-29T19:00:00Z'), Date.parse('2026-03-20T18:59:59.999Z'), Date.parse('2026-03-20T19:00:00Z'));
    const shuffled = [...instants].sort((a, b) => ((a * 7919) % 1009) - ((b * 7919) % 1009));
    for (const ms of [...instants, ...shuffled, ...instants.reverse()]) {
      expect(toAlmatyDate(new Date(ms)), new Date(ms).toISOString()).toBe(reference.format(new Date(ms)));
    }
  });

  it('rejects an invalid Date', () => {
    expect(() => toAlmatyDate(new Date('nope'))).toThrow(RangeError);
  });
});

describe('dueAt: "within N working days from receipt"', () => {
  const endOf = (date: string) => `${date}T18:59:59.999Z`; // 23:59:59.999 at UTC+5

  it('received on Friday evening: counting starts on Monday', () => {
    expect(dueAt(new Date('2025-03-14T18:30:00+05:00'), 2, KZ).toISOString()).toBe(endOf('2025-03-18'));
  });

  it('received on Saturday: counting starts on the next working day too', () => {
    expect(dueAt(new Date('2025-03-15T10:00:00+05:00'), 2, KZ).toISOString()).toBe(endOf('2025-03-18'));
  });

  it('received on the eve of a holiday run: the run is skipped', () => {
    // Thu 20 March 2025; 21 Mar Nauryz, 22–23 weekend, 24–25 moved days off → 26, 27, 28, 31 Mar, 1 Apr.
    expect(dueAt(new Date('2025-03-20T17:00:00+05:00'), 5, KZ).toISOString()).toBe(endOf('2025-04-01'));
    expect(dueAt(new Date('2025-03-21T09:00:00+05:00'), 1, KZ).toISOString()).toBe(endOf('2025-03-26'));
  });

  it('received just before midnight Almaty time vs just after (same UTC day)', () => {
    // Both are 19 March in UTC; the first is Thursday 19 March in Almaty, the second Friday 20 March.
    expect(dueAt(new Date('2026-03-19T18:59:59Z'), 1, KZ).toISOString()).toBe(endOf('2026-03-20'));
    expect(dueAt(new Date('2026-03-19T19:00:00Z'), 1, KZ).toISOString()).toBe(endOf('2026-03-26'));
  });

  it('2026-03-20T19:30Z is already Saturday 21 March (Nauryz) in Almaty', () => {
    // 21–23 March Nauryz, 24–25 moved days off: the 1st working day after is Thursday 26 March.
    expect(dueAt(new Date('2026-03-20T19:30:00Z'), 1, KZ).toISOString()).toBe(endOf('2026-03-26'));
    expect(dueAt(new Date('2026-03-20T19:30:00Z'), 3, KZ).toISOString()).toBe(endOf('2026-03-30'));
  });

  it('ends at the last millisecond of the N-th working day', () => {
    const due = dueAt(new Date('2025-06-02T09:00:00+05:00'), 2, KZ);
    expect(toAlmatyDate(due)).toBe('2025-06-04');
    expect(toAlmatyDate(new Date(due.getTime() + 1))).toBe('2025-06-05');
    expect(new Date(due.getTime() + 1).toISOString()).toBe(startOfAlmatyDay('2025-06-05').toISOString());
  });

  it('uses the offset in force on the last day, UTC+6 before March 2024', () => {
    expect(dueAt(new Date('2024-02-27T10:00:00+06:00'), 1, KZ).toISOString()).toBe('2024-02-28T17:59:59.999Z');
    expect(dueAt(new Date('2024-02-27T10:00:00+06:00'), 2, KZ).toISOString()).toBe('2024-02-29T18:59:59.999Z');
    expect(dueAt(new Date('2024-02-27T10:00:00+06:00'), 3, KZ).toISOString()).toBe('2024-03-01T18:59:59.999Z');
  });

  it('counts a transferred working Saturday (4 May 2024)', () => {
    expect(dueAt(new Date('2024-05-03T12:00:00+05:00'), 1, KZ).toISOString()).toBe(endOf('2024-05-04'));
  });

  it('needs at least one working day', () => {
    expect(() => dueAt(new Date('2025-06-02T09:00:00+05:00'), 0, KZ)).toThrow(RangeError);
    expect(() => dueAt(new Date('invalid'), 2, KZ)).toThrow(RangeError);
  });
});

describe('deadlineStatus', () => {
  const due = dueAt(new Date('2025-03-14T18:30:00+05:00'), 2, KZ); // end of Tue 18 March 2025
  const at = (iso: string) => new Date(iso);

  it('counts working days left, today included', () => {
    expect(deadlineStatus(at('2025-03-15T12:00:00+05:00'), due, KZ)).toEqual({ overdue: false, dueToday: false, workingDaysLeft: 2, workingDaysOverdue: 0 });
    expect(deadlineStatus(at('2025-03-17T09:00:00+05:00'), due, KZ)).toEqual({ overdue: false, dueToday: false, workingDaysLeft: 2, workingDaysOverdue: 0 });
    expect(deadlineStatus(at('2025-03-18T23:59:00+05:00'), due, KZ)).toEqual({ overdue: false, dueToday: true, workingDaysLeft: 1, workingDaysOverdue: 0 });
  });

  it('counts working days overdue, today included', () => {
    expect(deadlineStatus(at('2025-03-19T00:00:00+05:00'), due, KZ)).toEqual({ overdue: true, dueToday: false, workingDaysLeft: 0, workingDaysOverdue: 1 });
    // 19, 20 March; 21 March is Nauryz.
    expect(deadlineStatus(at('2025-03-22T10:00:00+05:00'), due, KZ)).toEqual({ overdue: true, dueToday: false, workingDaysLeft: 0, workingDaysOverdue: 2 });
  });

  it('is overdue from the first millisecond after the deadline', () => {
    expect(deadlineStatus(due, due, KZ).overdue).toBe(false);
    expect(deadlineStatus(new Date(due.getTime() + 1), due, KZ).overdue).toBe(true);
  });
});

function dayBefore(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}
