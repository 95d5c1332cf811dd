/**
 * Kazakhstan's holidays: the statutory list (law, so code) and the per-year data for 2024–2027
 * (the seed of the calendar that administrators keep in the database).
 *
 * Legal basis: Law No. 267-II of 13.12.2001 "On holidays in the Republic of Kazakhstan" art. 1–5
 * (which days are holidays; a holiday on a weekend gives the next working day off); Labour Code
 * art. 84 (7 January and the first day of Kurban Ait are days off and are not moved off a
 * weekend) and art. 85 (transfers of days off: by government decree until 2023, by order of the
 * labour ministry from 2024). See domain.md "Working days".
 */
import type { CalendarData, LocalizedName, StatutoryHoliday, YearData } from './working-days.ts';

const CURRENT = null;

/**
 * The statutory holidays and the years each applies. 2024–2027 are checked against domain.md;
 * the earlier periods follow the history of the law on adilet.zan.kz as summarised by the
 * `holidays` library (vacanza/holidays, holidays/countries/kazakhstan.py), for administrators who
 * add past years.
 */
export const KAZAKHSTAN_STATUTORY_HOLIDAYS: readonly StatutoryHoliday[] = deepFreeze([
  {
    key: 'new-year',
    month: 1,
    day: 1,
    name: { kk: 'Жаңа жыл', ru: 'Новый год', en: 'New Year' },
    movable: true,
    periods: [{ from: 2002, until: CURRENT }],
  },
  {
    key: 'new-year',
    month: 1,
    day: 2,
    name: { kk: 'Жаңа жыл', ru: 'Новый год', en: 'New Year' },
    movable: true,
    periods: [{ from: 2002, until: CURRENT }],
  },
  {
    // Religious holiday: Labour Code art. 84, not moved off a weekend.
    key: 'orthodox-christmas',
    month: 1,
    day: 7,
    name: { kk: 'Православиелік Рождество', ru: 'Православное Рождество', en: 'Orthodox Christmas' },
    movable: false,
    periods: [{ from: 2006, until: CURRENT }],
  },
  {
    key: 'womens-day',
    month: 3,
    day: 8,
    name: { kk: 'Халықаралық әйелдер күні', ru: 'Международный женский день', en: "International Women's Day" },
    movable: true,
    periods: [{ from: 2002, until: CURRENT }],
  },
  {
    // The new Constitution (in force 1 July 2026) moved Constitution Day from 30 August to
    // 15 March, first observed in 2027. Reported, not confirmed from the law text: the 2026 and
    // 2027 data are provisional (domain.md), and administrators can override a year.
    key: 'constitution-day',
    month: 3,
    day: 15,
    name: { kk: 'Конституция күні', ru: 'День Конституции', en: 'Constitution Day' },
    movable: true,
    periods: [{ from: 2027, until: CURRENT }],
  },
  ...[21, 22, 23].map((day) => ({
    key: 'nauryz',
    month: 3,
    day,
    name: { kk: 'Наурыз мейрамы', ru: 'Наурыз мейрамы', en: 'Nauryz' },
    movable: true,
    // One day (22 March) until 2009, three days since 2010.
    periods: [{ from: day === 22 ? 2002 : 2010, until: CURRENT }],
  })),
  {
    key: 'unity-day',
    month: 5,
    day: 1,
    name: {
      kk: 'Қазақстан халқының бірлігі мерекесі',
      ru: 'Праздник единства народа Казахстана',
      en: "Kazakhstan People's Unity Day",
    },
    movable: true,
    periods: [{ from: 2002, until: CURRENT }],
  },
  {
    key: 'defender-day',
    month: 5,
    day: 7,
    name: { kk: 'Отан қорғаушы күні', ru: 'День защитника Отечества', en: 'Defender of the Fatherland Day' },
    movable: true,
    periods: [{ from: 2013, until: CURRENT }],
  },
  {
    key: 'victory-day',
    month: 5,
    day: 9,
    name: { kk: 'Жеңіс күні', ru: 'День Победы', en: 'Victory Day' },
    movable: true,
    periods: [{ from: 2002, until: CURRENT }],
  },
  {
    key: 'capital-day',
    month: 7,
    day: 6,
    name: { kk: 'Астана күні', ru: 'День столицы', en: 'Capital Day' },
    movable: true,
    periods: [{ from: 2009, until: CURRENT }],
  },
  {
    // Last observed in 2025: see the 15 March entry.
    key: 'constitution-day',
    month: 8,
    day: 30,
    name: {
      kk: 'Қазақстан Республикасының Конституциясы күні',
      ru: 'День Конституции Республики Казахстан',
      en: 'Constitution Day',
    },
    movable: true,
    periods: [{ from: 2002, until: 2025 }],
  },
  {
    // Restored by the law of 29.09.2022.
    key: 'republic-day',
    month: 10,
    day: 25,
    name: { kk: 'Республика күні', ru: 'День Республики', en: 'Republic Day' },
    movable: true,
    periods: [
      { from: 2002, until: 2008 },
      { from: 2022, until: CURRENT },
    ],
  },
  {
    // Abolished by the law of 29.09.2022.
    key: 'first-president-day',
    month: 12,
    day: 1,
    name: {
      kk: 'Қазақстан Республикасының Тұңғыш Президенті күні',
      ru: 'День Первого Президента Республики Казахстан',
      en: 'First President Day',
    },
    movable: true,
    periods: [{ from: 2012, until: 2021 }],
  },
  {
    key: 'independence-day',
    month: 12,
    day: 16,
    name: { kk: 'Тәуелсіздік күні', ru: 'День Независимости', en: 'Independence Day' },
    movable: true,
    periods: [{ from: 2002, until: CURRENT }],
  },
  {
    // The second day of Independence Day, abolished by the law of 29.09.2022.
    key: 'independence-day',
    month: 12,
    day: 17,
    name: { kk: 'Тәуелсіздік күні', ru: 'День Независимости', en: 'Independence Day' },
    movable: true,
    periods: [{ from: 2002, until: 2021 }],
  },
]);

export const KURBAN_AIT_NAME: LocalizedName = deepFreeze({
  kk: 'Құрбан айт',
  ru: 'Курбан айт',
  en: 'Kurban Ait (Eid al-Adha)',
});

const LAW = 'Law No. 267-II of 13.12.2001 "On holidays in the Republic of Kazakhstan" art. 1–5; Labour Code art. 84–85';

const YEARS: Record<number, YearData> = {
  2024: {
    kurbanAit: '2024-06-16',
    transfers: [
      {
        dayOff: '2024-05-08',
        workday: '2024-05-04',
        source: 'Transfer of days off in 2024 under Labour Code art. 85 (adilet.zan.kz G24G0000109)',
      },
    ],
    addedHolidays: [],
    removedHolidays: [],
    source:
      `${LAW}. Kurban Ait 16.06.2024 (a Sunday: no day off given). ` +
      'Saturday 04.05.2024 worked for Wednesday 08.05.2024 off.',
    provisional: false,
  },
  2025: {
    kurbanAit: '2025-06-06',
    transfers: [
      {
        dayOff: '2025-01-03',
        workday: '2025-01-05',
        source: 'Transfer of days off in 2025 under Labour Code art. 85 (adilet.zan.kz G24G0000436)',
      },
    ],
    addedHolidays: [],
    removedHolidays: [],
    source: `${LAW}. Kurban Ait 06.06.2025. Sunday 05.01.2025 worked for Friday 03.01.2025 off.`,
    provisional: false,
  },
  2026: {
    kurbanAit: '2026-05-27',
    transfers: [],
    addedHolidays: [],
    removedHolidays: [],
    source:
      `${LAW}. Provisional: Kurban Ait 27.05.2026 as scheduled, not yet confirmed; 30 August no ` +
      'longer a holiday from 2026 (new Constitution in force 01.07.2026; reported, not confirmed ' +
      'from the law text); no transfers of days off known.',
    provisional: true,
  },
  2027: {
    kurbanAit: null,
    transfers: [],
    addedHolidays: [],
    removedHolidays: [],
    source:
      `${LAW}. Provisional, derived from the rules only: Constitution Day on 15 March (reported, ` +
      'not confirmed from the law text); Kurban Ait not yet announced (expected about 16.05.2027); ' +
      'no transfers of days off known.',
    provisional: true,
  },
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/**
 * The 2024–2027 calendar, frozen so that it can be shared (working-days caches per data object).
 * Use buildKazakhstanCalendarData() for a copy to store or edit.
 */
export const KAZAKHSTAN_CALENDAR_2024_2027: CalendarData = deepFreeze({ years: YEARS });

/** A fresh, mutable copy of the 2024–2027 calendar, e.g. to seed the database. */
export function buildKazakhstanCalendarData(): CalendarData {
  return structuredClone(KAZAKHSTAN_CALENDAR_2024_2027);
}
