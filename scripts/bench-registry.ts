/**
 * `npm run bench`: the registry under load on realistic data.
 *
 * Makes a database of its own (on TEST_DATABASE_URL / DATABASE_URL, else a PostgreSQL on
 * 127.0.0.1:5432, else the embedded one, as the tests choose), seeds 100,000 objects of 300
 * organizations with Kazakh and Russian names and purposes generated from word lists (multi-row
 * INSERTs through unnest), with their first versions and some update duties, VACUUM ANALYZEs,
 * starts the real app with the server's options on 127.0.0.1, signs an auditor in through the
 * pages, and loads it with autocannon (in a worker thread, off the server's event loop):
 *   (a) the registry search page over a mix of Russian, Kazakh and partial-word queries;
 *   (b) one object's page, /objects/:id, when the app has that route; until it does, the registry
 *       filtered down to one object.
 * Before the load, each search runs alone, one request at a time, and its latency is printed.
 * Each scenario runs ~10 s against 127.0.0.1 only; then everything stops and the database is
 * dropped, whatever happened.
 *
 * The objects are inserted in an order unrelated to their last change, so the search's window (the
 * latest changes, read in index order) finds its rows scattered over the table: a long-lived table
 * looks like that, its updates written wherever VACUUM left room. --cluster first rewrites the table
 * in the order of the latest change (CLUSTER … USING objects_updated_idx, as an operator may
 * schedule, or pg_repack online), to show what that layout gives.
 *
 *   node scripts/bench-registry.ts [--objects 100000] [--duration 10] [--connections 10] [--explain] [--cluster]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import app from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { connectDatabase, type DatabaseHandle, isReachable } from '../src/db/connection.ts';
import type { Database } from '../src/db/database.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import type { AuthUser } from '../src/access/permissions.ts';
import { ensureKnownCalendarYears } from '../src/modules/calendar/calendar.service.ts';
import { createAppDependencies } from '../src/deps.ts';
import { LIFECYCLE_STEPS } from '../src/modules/objects/lifecycle.ts';
import { type ObjectKind, type ObjectPassport, validatePassport } from '../src/modules/objects/passport.ts';
import { makeValidBin } from '../src/modules/organizations/bin-iin.ts';
import { searchObjects } from '../src/modules/registry/registry.service.ts';
import registryWeb from '../src/modules/registry/registry.web.ts';
import { registryQuerySchema, toFilters } from '../src/modules/registry/registry.schemas.ts';
import { hashPassword } from '../src/modules/users/passwords.ts';
import { buildServerOptions } from '../src/server-options.ts';
import { seedAuditEvents } from './bench-audit-seed.ts';

// ---------------------------------------------------------------------------------------------
// Word lists: [Russian, Kazakh]

type Pair = readonly [ru: string, kk: string];

/** Regions and cities of republican significance, in the genitive ("… of Akmola region"). */
const REGIONS: Pair[] = [
  ['Акмолинской области', 'Ақмола облысының'],
  ['Актюбинской области', 'Ақтөбе облысының'],
  ['Алматинской области', 'Алматы облысының'],
  ['Атырауской области', 'Атырау облысының'],
  ['Восточно-Казахстанской области', 'Шығыс Қазақстан облысының'],
  ['Жамбылской области', 'Жамбыл облысының'],
  ['Западно-Казахстанской области', 'Батыс Қазақстан облысының'],
  ['Карагандинской области', 'Қарағанды облысының'],
  ['Костанайской области', 'Қостанай облысының'],
  ['Кызылординской области', 'Қызылорда облысының'],
  ['Мангистауской области', 'Маңғыстау облысының'],
  ['Павлодарской области', 'Павлодар облысының'],
  ['Северо-Казахстанской области', 'Солтүстік Қазақстан облысының'],
  ['Туркестанской области', 'Түркістан облысының'],
  ['области Абай', 'Абай облысының'],
  ['области Жетісу', 'Жетісу облысының'],
  ['области Ұлытау', 'Ұлытау облысының'],
  ['города Астаны', 'Астана қаласының'],
  ['города Алматы', 'Алматы қаласының'],
  ['города Шымкента', 'Шымкент қаласының'],
];

const REGIONAL_DEPARTMENTS: Pair[] = [
  ['Управление здравоохранения', 'денсаулық сақтау басқармасы'],
  ['Управление образования', 'білім басқармасы'],
  ['Управление цифровизации', 'цифрландыру басқармасы'],
  ['Управление земельных отношений', 'жер қатынастары басқармасы'],
  ['Управление занятости и социальных программ', 'жұмыспен қамтуды үйлестіру және әлеуметтік бағдарламалар басқармасы'],
  ['Управление сельского хозяйства', 'ауыл шаруашылығы басқармасы'],
  ['Управление пассажирского транспорта и автомобильных дорог', 'жолаушылар көлігі және автомобиль жолдары басқармасы'],
  ['Управление энергетики и жилищно-коммунального хозяйства', 'энергетика және тұрғын үй-коммуналдық шаруашылық басқармасы'],
  ['Управление культуры, архивов и документации', 'мәдениет, архивтер және құжаттама басқармасы'],
  ['Управление природных ресурсов', 'табиғи ресурстар басқармасы'],
  ['Управление физической культуры и спорта', 'дене шынықтыру және спорт басқармасы'],
  ['Аппарат акима', 'әкімінің аппараты'],
];

const CENTRAL_BODIES: Pair[] = [
  ['Министерство цифрового развития, инноваций и аэрокосмической промышленности', 'Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі'],
  ['Министерство здравоохранения', 'Денсаулық сақтау министрлігі'],
  ['Министерство просвещения', 'Оқу-ағарту министрлігі'],
  ['Министерство науки и высшего образования', 'Ғылым және жоғары білім министрлігі'],
  ['Министерство финансов', 'Қаржы министрлігі'],
  ['Министерство юстиции', 'Әділет министрлігі'],
  ['Министерство внутренних дел', 'Ішкі істер министрлігі'],
  ['Министерство труда и социальной защиты населения', 'Еңбек және халықты әлеуметтік қорғау министрлігі'],
  ['Министерство сельского хозяйства', 'Ауыл шаруашылығы министрлігі'],
  ['Министерство энергетики', 'Энергетика министрлігі'],
  ['Министерство транспорта', 'Көлік министрлігі'],
  ['Министерство культуры и информации', 'Мәдениет және ақпарат министрлігі'],
  ['Министерство экологии и природных ресурсов', 'Экология және табиғи ресурстар министрлігі'],
  ['Министерство национальной экономики', 'Ұлттық экономика министрлігі'],
  ['Министерство иностранных дел', 'Сыртқы істер министрлігі'],
  ['Министерство по чрезвычайным ситуациям', 'Төтенше жағдайлар министрлігі'],
  ['Министерство промышленности и строительства', 'Өнеркәсіп және құрылыс министрлігі'],
  ['Министерство водных ресурсов и ирригации', 'Су ресурстары және ирригация министрлігі'],
  ['Министерство туризма и спорта', 'Туризм және спорт министрлігі'],
  ['Министерство торговли и интеграции', 'Сауда және интеграция министрлігі'],
  ['Агентство по делам государственной службы', 'Мемлекеттік қызмет істері агенттігі'],
  ['Агентство по стратегическому планированию и реформам', 'Стратегиялық жоспарлау және реформалар агенттігі'],
  ['Агентство по финансовому мониторингу', 'Қаржылық мониторинг агенттігі'],
  ['Генеральная прокуратура', 'Бас прокуратура'],
  ['Верховный суд', 'Жоғарғы Сот'],
];

const STATE_ENTITIES: Pair[] = [
  ['РГП на ПХВ «Информационно-учетный центр»', '«Ақпараттық-есептік орталық» ШЖҚ РМК'],
  ['РГП на ПХВ «Республиканский центр электронного здравоохранения»', '«Республикалық электрондық денсаулық сақтау орталығы» ШЖҚ РМК'],
  ['РГП на ПХВ «Государственная техническая служба»', '«Мемлекеттік техникалық қызмет» ШЖҚ РМК'],
  ['РГП на ПХВ «Казгидромет»', '«Қазгидромет» ШЖҚ РМК'],
  ['РГП на ПХВ «Национальный центр экспертизы»', '«Ұлттық сараптама орталығы» ШЖҚ РМК'],
  ['РГП на ПХВ «Национальный центр тестирования»', '«Ұлттық тестілеу орталығы» ШЖҚ РМК'],
  ['РГП на ПХВ «Национальный центр геодезии и пространственной информации»', '«Ұлттық геодезия және кеңістіктік ақпарат орталығы» ШЖҚ РМК'],
  ['РГП на ПХВ «Центр развития образования»', '«Білім беруді дамыту орталығы» ШЖҚ РМК'],
  ['РГП на ПХВ «Республиканская ветеринарная лаборатория»', '«Республикалық ветеринариялық зертхана» ШЖҚ РМК'],
  ['РГП на ПХВ «Казводхоз»', '«Қазсушар» ШЖҚ РМК'],
];

const QUASI_PUBLIC: Pair[] = [
  ['АО «Национальные информационные технологии»', '«Ұлттық ақпараттық технологиялар» АҚ'],
  ['АО «Казахтелеком»', '«Қазақтелеком» АҚ'],
  ['АО «Казпочта»', '«Қазпошта» АҚ'],
  ['АО «Национальный инфокоммуникационный холдинг «Зерде»', '«Зерде» ұлттық инфокоммуникациялық холдингі» АҚ'],
  ['НАО «Фонд социального медицинского страхования»', '«Әлеуметтік медициналық сақтандыру қоры» КеАҚ'],
  ['АО «Государственный фонд социального страхования»', '«Мемлекеттік әлеуметтік сақтандыру қоры» АҚ'],
  ['АО «Единый накопительный пенсионный фонд»', '«Бірыңғай жинақтаушы зейнетақы қоры» АҚ'],
  ['АО «Центр развития торговой политики «QazTrade»', '«QazTrade» сауда саясатын дамыту орталығы» АҚ'],
  ['АО «Казахстанский центр государственно-частного партнерства»', '«Қазақстандық мемлекеттік-жекешелік әріптестік орталығы» АҚ'],
  ['НАО «Правительство для граждан»', '«Азаматтарға арналған үкімет» КеАҚ'],
];

/** What the objects are about. */
const SUBJECTS: Pair[] = [
  ['Электронное лицензирование', 'Электрондық лицензиялау'],
  ['Государственный земельный кадастр', 'Мемлекеттік жер кадастры'],
  ['Электронное здравоохранение', 'Электрондық денсаулық сақтау'],
  ['Регистр недвижимости', 'Жылжымайтын мүлік тіркелімі'],
  ['Учет налогоплательщиков', 'Салық төлеушілерді есепке алу'],
  ['Электронные государственные закупки', 'Электрондық мемлекеттік сатып алу'],
  ['Адресная социальная помощь', 'Атаулы әлеуметтік көмек'],
  ['Единая образовательная база', 'Бірыңғай білім беру базасы'],
  ['Миграционный учет', 'Көші-қон есебі'],
  ['Регистрация транспортных средств', 'Көлік құралдарын тіркеу'],
  ['Электронный документооборот', 'Электрондық құжат айналымы'],
  ['Обращения физических и юридических лиц', 'Жеке және заңды тұлғалардың өтініштері'],
  ['Пенсионное обеспечение', 'Зейнетақымен қамсыздандыру'],
  ['Занятость населения', 'Халықты жұмыспен қамту'],
  ['Идентификация сельскохозяйственных животных', 'Ауыл шаруашылығы жануарларын бірдейлендіру'],
  ['Ветеринарный контроль', 'Ветеринариялық бақылау'],
  ['Водные ресурсы', 'Су ресурстары'],
  ['Лесной фонд', 'Орман қоры'],
  ['Экологический мониторинг', 'Экологиялық мониторинг'],
  ['Государственная статистика', 'Мемлекеттік статистика'],
  ['Бюджетное планирование', 'Бюджеттік жоспарлау'],
  ['Казначейское исполнение бюджета', 'Бюджеттің қазынашылық атқарылуы'],
  ['Таможенное администрирование', 'Кедендік әкімшілендіру'],
  ['Судебный кабинет', 'Сот кабинеті'],
  ['Правовая статистика и специальные учеты', 'Құқықтық статистика және арнайы есепке алу'],
  ['Чрезвычайные ситуации', 'Төтенше жағдайлар'],
  ['Пожарная безопасность', 'Өрт қауіпсіздігі'],
  ['Безопасность дорожного движения', 'Жол жүрісі қауіпсіздігі'],
  ['Очередь на жилье', 'Тұрғын үй кезегі'],
  ['Коммунальные услуги', 'Коммуналдық қызметтер'],
  ['Национальный архивный фонд', 'Ұлттық мұрағат қоры'],
  ['Историко-культурное наследие', 'Тарихи-мәдени мұра'],
  ['Туристский реестр', 'Туристік тізілім'],
  ['Спортивные объекты', 'Спорт нысандары'],
  ['Молодежная политика', 'Жастар саясаты'],
  ['Нотариат', 'Нотариат'],
  ['Адресный регистр', 'Мекенжай тіркелімі'],
  ['Геологическая информация', 'Геологиялық ақпарат'],
  ['Недропользование', 'Жер қойнауын пайдалану'],
  ['Электроэнергетика', 'Электр энергетикасы'],
  ['Кибербезопасность', 'Киберқауіпсіздік'],
  ['Электронное правительство', 'Электрондық үкімет'],
  ['Государственные услуги', 'Мемлекеттік қызметтер'],
  ['Кадровый учет государственных служащих', 'Мемлекеттік қызметшілердің кадрлық есебі'],
  ['Бухгалтерский учет', 'Бухгалтерлік есеп'],
  ['Электронная очередь', 'Электрондық кезек'],
  ['Видеонаблюдение', 'Бейнебақылау'],
  ['Единый контакт-центр', 'Бірыңғай байланыс орталығы'],
  ['Открытые данные', 'Ашық деректер'],
  ['Проверки субъектов предпринимательства', 'Кәсіпкерлік субъектілерін тексеру'],
  ['Разрешения и уведомления', 'Рұқсаттар мен хабарламалар'],
  ['Обязательное медицинское страхование', 'Міндетті медициналық сақтандыру'],
  ['Лекарственное обеспечение', 'Дәрілік қамтамасыз ету'],
  ['Дошкольное воспитание', 'Мектепке дейінгі тәрбие'],
  ['Регистрация юридических лиц', 'Заңды тұлғаларды тіркеу'],
  ['Акты гражданского состояния', 'Азаматтық хал актілері'],
  ['Субсидирование агропромышленного комплекса', 'Агроөнеркәсіптік кешенді субсидиялау'],
  ['Дистанционное обучение', 'Қашықтықтан оқыту'],
  ['Мониторинг исполнения поручений', 'Тапсырмалардың орындалуын бақылау'],
  ['Инвестиционные проекты', 'Инвестициялық жобалар'],
];

/** What an object of each kind is called: [Russian before the subject, Kazakh after it]. */
const KIND_NAMES: Record<ObjectKind, Pair[]> = {
  state_electronic_information_resource: [
    ['Государственный электронный информационный ресурс', 'мемлекеттік электрондық ақпараттық ресурсы'],
    ['База данных', 'дерекқоры'],
    ['Реестр', 'тізілімі'],
  ],
  state_body_software: [
    ['Программное обеспечение', 'бағдарламалық қамтамасыз етуі'],
    ['Программный комплекс', 'бағдарламалық кешені'],
    ['Мобильное приложение', 'мобильді қосымшасы'],
  ],
  state_body_internet_resource: [
    ['Интернет-ресурс', 'интернет-ресурсы'],
    ['Портал', 'порталы'],
    ['Веб-сайт', 'веб-сайты'],
  ],
  ict_infrastructure: [
    ['Информационная система', 'ақпараттық жүйесі'],
    ['Информационная система', 'ақпараттық жүйесі'],
    ['Автоматизированная информационная система', 'автоматтандырылған ақпараттық жүйесі'],
    ['Аппаратно-программный комплекс', 'аппараттық-бағдарламалық кешені'],
    ['Телекоммуникационная сеть', 'телекоммуникациялық желісі'],
    ['Технологическая платформа', 'технологиялық платформасы'],
  ],
  platform_software_product: [['Платформенный программный продукт', 'платформалық бағдарламалық өнімі']],
  ict_service: [
    ['Сервис', 'сервисі'],
    ['Облачный сервис', 'бұлттық сервисі'],
  ],
};

const PURPOSES: Pair[] = [
  ['Автоматизация процессов по направлению «%s»', '«%s» бағыты бойынша процестерді автоматтандыру'],
  ['Оказание государственных услуг в электронной форме по направлению «%s»', '«%s» бағыты бойынша мемлекеттік қызметтерді электрондық нысанда көрсету'],
  ['Сбор, хранение и обработка сведений по направлению «%s»', '«%s» бағыты бойынша мәліметтерді жинау, сақтау және өңдеу'],
  ['Информационное взаимодействие государственных органов по направлению «%s»', '«%s» бағыты бойынша мемлекеттік органдардың ақпараттық өзара іс-қимылы'],
  ['Мониторинг и аналитическая отчетность по направлению «%s»', '«%s» бағыты бойынша мониторинг және талдамалық есептілік'],
];

const PURPOSE_ADDITIONS: Pair[] = [
  ['Интеграция с шлюзом электронного правительства.', 'Электрондық үкімет шлюзімен интеграция.'],
  ['Предоставление сведений гражданам через портал электронного правительства.', 'Азаматтарға электрондық үкімет порталы арқылы мәліметтер беру.'],
  ['Учет заявлений и выдача результатов.', 'Өтініштерді есепке алу және нәтижелерді беру.'],
  ['Формирование статистической отчетности.', 'Статистикалық есептілікті қалыптастыру.'],
  ['', ''],
  ['', ''],
];

// ---------------------------------------------------------------------------------------------
// Generation (seeded, so every run measures the same data)

function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function weighted<T extends string>(random: () => number, weights: Record<T, number>): T {
  const entries = Object.entries(weights) as Array<[T, number]>;
  let r = random() * entries.reduce((sum, [, w]) => sum + w, 0);
  for (const [value, w] of entries) {
    r -= w;
    if (r < 0) return value;
  }
  return entries.at(-1)![0];
}

interface SeedOrganization {
  id: string;
  bin: string;
  kind: 'central_state_body' | 'local_executive_body' | 'state_legal_entity' | 'quasi_public_entity';
  nameRu: string;
  nameKk: string;
  /** The region of a local body, for its objects' names. */
  region: Pair | null;
}

export function generateOrganizations(count: number, random: () => number): SeedOrganization[] {
  const all: Array<Omit<SeedOrganization, 'id' | 'bin'>> = [
    ...CENTRAL_BODIES.map(([ru, kk]) => ({ kind: 'central_state_body' as const, nameRu: `${ru} Республики Казахстан`, nameKk: `Қазақстан Республикасының ${kk}`, region: null })),
    ...STATE_ENTITIES.map(([ru, kk]) => ({ kind: 'state_legal_entity' as const, nameRu: ru, nameKk: kk, region: null })),
    ...QUASI_PUBLIC.map(([ru, kk]) => ({ kind: 'quasi_public_entity' as const, nameRu: ru, nameKk: kk, region: null })),
    ...REGIONS.flatMap((region) =>
      REGIONAL_DEPARTMENTS.map(([ru, kk]) => ({ kind: 'local_executive_body' as const, nameRu: `ГУ «${ru} ${region[0]}»`, nameKk: `«${region[1]} ${kk}» ММ`, region })),
    ),
  ];
  const organizations: SeedOrganization[] = [];
  let serial = 10_000;
  for (let i = 0; organizations.length < count; i++) {
    const base = all[i % all.length]!;
    const round = Math.floor(i / all.length);
    const yymm = `${String(95 + Math.floor(random() * 5)).slice(-2)}${String(1 + Math.floor(random() * 12)).padStart(2, '0')}`;
    let bin: string | null = null;
    while (!bin) bin = makeValidBin(`${yymm}40${String(serial++).padStart(5, '0')}`);
    organizations.push({
      ...base,
      id: randomUUID(),
      bin,
      nameRu: round === 0 ? base.nameRu : `${base.nameRu} (филиал ${round + 1})`,
      nameKk: round === 0 ? base.nameKk : `${base.nameKk} (${round + 1}-филиал)`,
    });
  }
  return organizations;
}

export interface SeedObject {
  id: string;
  organizationId: string;
  passport: ObjectPassport;
  kind: ObjectKind;
  class: 1 | 2 | 3;
  nameKk: string;
  nameRu: string;
  shortNameKk: string | null;
  shortNameRu: string | null;
  purposeKk: string;
  purposeRu: string;
  stage: 'creation' | 'industrial_operation' | 'development' | 'termination';
  step: string | null;
  commissionedOn: string | null;
  terminatedOn: string | null;
  reviewStatus: string;
  accountCode: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const acronym = (text: string) =>
  text
    .split(/[\s-]+/)
    .filter((word) => word.length > 2)
    .map((word) => word[0]!.toUpperCase())
    .join('');

export function generateObjects(count: number, organizations: SeedOrganization[], random: () => number, now = Date.now()): SeedObject[] {
  const objects: SeedObject[] = [];
  let accountSerial = 0;
  for (let i = 0; i < count; i++) {
    // A few organizations own most objects, as ministries do.
    const organization = organizations[Math.floor(organizations.length * random() ** 2)]!;
    const kind = weighted<ObjectKind>(random, {
      ict_infrastructure: 35,
      state_body_software: 20,
      state_body_internet_resource: 15,
      state_electronic_information_resource: 15,
      platform_software_product: 5,
      ict_service: 10,
    });
    const [typeRu, typeKk] = pick(random, KIND_NAMES[kind]);
    const [subjectRu, subjectKk] = pick(random, SUBJECTS);
    const regional = organization.region && random() < 0.7;
    const generation = random() < 0.15 ? Math.floor(2 + random() * 3) : null;
    const nameRu = `${typeRu} «${subjectRu}»${regional ? ` ${organization.region![0]}` : ''}${generation ? ` (${generation}-я очередь)` : ''}`;
    const nameKk = `${regional ? `${organization.region![1]} ` : ''}«${subjectKk}» ${typeKk}${generation ? ` (${generation}-кезек)` : ''}`;
    const short = random() < 0.3;
    const [purposeRuTemplate, purposeKkTemplate] = pick(random, PURPOSES);
    const [extraRu, extraKk] = pick(random, PURPOSE_ADDITIONS);
    const purposeRu = `${purposeRuTemplate.replace('%s', subjectRu.toLowerCase())}. ${extraRu}`.trim();
    const purposeKk = `${purposeKkTemplate.replace('%s', subjectKk.toLowerCase())}. ${extraKk}`.trim();
    const objectClass = weighted(random, { '1': 10, '2': 40, '3': 50 });
    const stage = weighted(random, { industrial_operation: 55, creation: 15, development: 20, termination: 10 });
    const step = stage === 'creation' || stage === 'development' ? pick(random, LIFECYCLE_STEPS) : null;
    const reviewStatus = weighted(random, { accepted: 50, draft: 20, submitted: 15, returned: 15 });
    const createdAt = now - Math.floor(random() * 6 * 365) * DAY_MS - Math.floor(random() * DAY_MS);
    const updatedAt = Math.min(now - 60_000, createdAt + Math.floor(random() * (now - createdAt)));
    const commissioned = stage === 'creation' ? null : createdAt + Math.floor(random() * 365) * DAY_MS;
    const shortRu = short ? `${acronym(typeRu)} «${acronym(subjectRu)}»` : null;
    const shortKk = short ? `«${acronym(subjectKk)}» ${acronym(typeKk)}` : null;
    const passport: ObjectPassport = {
      kind,
      ...(kind === 'ict_infrastructure' ? { infrastructure_subkind: 'information_system' as const } : {}),
      ...(kind === 'ict_service' ? { service_type: 'infrastructure' as const } : {}),
      class: Number(objectClass) as 1 | 2 | 3,
      name: { full: { kk: nameKk, ru: nameRu }, ...(short ? { short: { kk: shortKk!, ru: shortRu! } } : {}) },
      purpose: { kk: purposeKk, ru: purposeRu },
      owner_organization_id: organization.id,
      placement:
        random() < 0.8
          ? { type: 'egov_ict_platform' }
          : { type: 'egov_ict_infrastructure', exception: { ground: 'platform_unfeasible', explanation: 'Размещение на платформе технически невозможно' } },
      funding: random() < 0.6 ? 'state_investment_project' : 'own_funds',
      contacts: [{ full_name: 'Ахметов Арман Серікұлы', position: 'Бас сарапшы', phone: '+77172000000', email: `it${i % 997}@gov.example.kz` }],
    };
    objects.push({
      id: randomUUID(),
      organizationId: organization.id,
      passport,
      kind,
      class: passport.class,
      nameKk,
      nameRu,
      shortNameKk: shortKk,
      shortNameRu: shortRu,
      purposeKk,
      purposeRu,
      stage,
      step,
      commissionedOn: commissioned ? isoDay(commissioned) : null,
      terminatedOn: stage === 'termination' ? isoDay(Math.min(now, commissioned! + 3 * 365 * DAY_MS)) : null,
      reviewStatus,
      accountCode: reviewStatus === 'accepted' ? `OI-${new Date(createdAt).getUTCFullYear()}-${String(++accountSerial).padStart(6, '0')}` : null,
      createdAt: new Date(createdAt),
      updatedAt: new Date(updatedAt),
    });
  }
  return objects;
}

/** Multi-row INSERTs through unnest(): one statement per chunk, PostgreSQL computes the search columns. */
export async function seedRegistry(pool: pg.Pool, options: { organizations: number; objects: number; seed?: number }): Promise<{ organizations: SeedOrganization[]; objects: SeedObject[]; duties: number }> {
  const random = rng(options.seed ?? 174);
  const organizations = generateOrganizations(options.organizations, random);
  const objects = generateObjects(options.objects, organizations, random);
  for (const object of objects.slice(0, 200)) {
    const checked = validatePassport(object.passport);
    if (!checked.ok) throw new Error(`generated passport is invalid: ${JSON.stringify(checked.errors)}`);
  }
  await pool.query(
    `INSERT INTO organizations (id, bin, kind, name_kk, name_ru) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])`,
    [organizations.map((o) => o.id), organizations.map((o) => o.bin), organizations.map((o) => o.kind), organizations.map((o) => o.nameKk), organizations.map((o) => o.nameRu)],
  );
  const CHUNK = 5000;
  for (let start = 0; start < objects.length; start += CHUNK) {
    const chunk = objects.slice(start, start + CHUNK);
    const column = <T>(get: (o: SeedObject) => T) => chunk.map(get);
    await pool.query(
      `INSERT INTO objects (id, organization_id, passport, kind, class, name_kk, name_ru, short_name_kk, short_name_ru, purpose_kk, purpose_ru,
                            stage, step, commissioned_on, terminated_on, review_status, account_code, created_at, updated_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[], $4::text[], $5::smallint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                            $12::text[], $13::text[], $14::date[], $15::date[], $16::text[], $17::text[], $18::timestamptz[], $19::timestamptz[])`,
      [
        column((o) => o.id),
        column((o) => o.organizationId),
        column((o) => JSON.stringify(o.passport)),
        column((o) => o.kind),
        column((o) => o.class),
        column((o) => o.nameKk),
        column((o) => o.nameRu),
        column((o) => o.shortNameKk),
        column((o) => o.shortNameRu),
        column((o) => o.purposeKk),
        column((o) => o.purposeRu),
        column((o) => o.stage),
        column((o) => o.step),
        column((o) => o.commissionedOn),
        column((o) => o.terminatedOn),
        column((o) => o.reviewStatus),
        column((o) => o.accountCode),
        column((o) => o.createdAt),
        column((o) => o.updatedAt),
      ],
    );
  }
  // Every object as its first saved version, as the objects module records it.
  await pool.query(
    `INSERT INTO object_versions (object_id, version, passport, stage, step, information_changed_on, changed_at)
     SELECT id, 1, passport, stage, step, (created_at AT TIME ZONE 'Asia/Almaty')::date, created_at FROM objects`,
  );
  // Update duties (003 §9) for one object in twelve: most fulfilled, some open, part of those overdue.
  const today = Date.now();
  const duties = objects
    .filter(() => random() < 1 / 12)
    .map((o) => {
      const changed = o.updatedAt.getTime() - Math.floor(random() * 30) * DAY_MS;
      const due = changed + 14 * DAY_MS;
      const state = weighted(random, { fulfilled: 70, open: 30 });
      return { objectId: o.id, organizationId: o.organizationId, changedOn: isoDay(changed), dueOn: isoDay(due), fulfilledAt: state === 'fulfilled' ? new Date(Math.min(today, due)) : null };
    });
  await pool.query(
    `INSERT INTO update_duties (object_id, organization_id, source, changed_on, due_on, fulfilled_at)
     SELECT d.object_id, d.organization_id, 'information_changed', d.changed_on, d.due_on, d.fulfilled_at
     FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::date[], $5::timestamptz[]) AS d(object_id, organization_id, changed_on, due_on, fulfilled_at)`,
    [duties.map((d) => d.objectId), duties.map((d) => d.organizationId), duties.map((d) => d.changedOn), duties.map((d) => d.dueOn), duties.map((d) => d.fulfilledAt)],
  );
  // As autovacuum leaves a table after a bulk load: statistics, hint bits and the visibility map.
  await pool.query('VACUUM ANALYZE organizations, objects, object_versions, update_duties');
  return { organizations, objects, duties: duties.length };
}

// ---------------------------------------------------------------------------------------------
// Database server and database


interface BenchServer {
  adminUrl: string;
  source: string;
  stop(): Promise<void>;
}

/** The same choice as tests/support/global-setup.ts. */
async function databaseServer(): Promise<BenchServer> {
  const configured = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (configured) return { adminUrl: configured, source: 'DATABASE_URL', stop: async () => undefined };
  const local = 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await isReachable(local)) return { adminUrl: local, source: 'local server on 127.0.0.1:5432', stop: async () => undefined };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-bench-pg-'));
  let embedded: EmbeddedPostgres;
  try {
    embedded = await startEmbeddedPostgres({ dataDir: dir, port: 54349 });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    adminUrl: embedded.connectionString,
    source: 'embedded PostgreSQL',
    async stop() {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Signing in through the pages, over HTTP

function cookieJar() {
  const jar = new Map<string, string>();
  return {
    take(response: Response) {
      for (const header of response.headers.getSetCookie()) {
        const pair = header.split(';')[0]!;
        jar.set(pair.split('=')[0]!, pair);
      }
    },
    get header() {
      return [...jar.values()].join('; ');
    },
  };
}

function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the sign-in page');
  return match[1]!;
}

/** As tests/support/auth.ts signInAs does, but over the socket: the sign-in page, its form, then /account. */
async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const jar = cookieJar();
  const page = await fetch(`${baseUrl}/sign-in`);
  jar.take(page);
  const form = new URLSearchParams({ email, password, _csrf: csrfFrom(await page.text()) });
  const posted = await fetch(`${baseUrl}/sign-in`, { method: 'POST', body: form, headers: { cookie: jar.header }, redirect: 'manual' });
  jar.take(posted);
  if (posted.status !== 303 || posted.headers.get('location')?.startsWith('/sign-in')) throw new Error(`sign-in failed: ${posted.status} ${posted.headers.get('location')}`);
  const account = await fetch(`${baseUrl}/account`, { headers: { cookie: jar.header }, redirect: 'manual' });
  jar.take(account);
  if (account.status !== 200) throw new Error(`not signed in: /account answered ${account.status}`);
  return jar.header;
}

// ---------------------------------------------------------------------------------------------
// Load

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon is CommonJS without type declarations; only the fields above are read.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Scenario {
  title: string;
  paths: string[];
  target: string;
}

async function run(baseUrl: string, cookie: string, scenario: Scenario, options: { duration: number; connections: number }): Promise<AutocannonResult> {
  // Russian pages: names sort by name_ru, which has an index (Kazakh names have none yet).
  const headers = { cookie, 'accept-language': 'ru' };
  // Warm-up: every path once, so the first measured requests do not pay for cold caches.
  for (const p of scenario.paths) {
    const response = await fetch(`${baseUrl}${p}`, { headers });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${p} answered ${response.status} during warm-up`);
  }
  const result = await autocannon({
    url: baseUrl,
    connections: options.connections,
    duration: options.duration,
    workers: 1,
    headers,
    requests: scenario.paths.map((p) => ({ method: 'GET', path: p })),
  });
  // The worker's last requests may still be in flight: let them finish before what comes next.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return result;
}

/** Each path alone, one request at a time (after one warm-up request), with its median and slowest of 25. */
async function eachAlone(baseUrl: string, cookie: string, paths: string[]): Promise<void> {
  const headers = { cookie, 'accept-language': 'ru' };
  const lines = ['each search alone, one request at a time (25 runs: median, slowest):'];
  for (const p of paths) {
    const times: number[] = [];
    for (let run = 0; run <= 25; run++) {
      const start = performance.now();
      const response = await fetch(`${baseUrl}${p}`, { headers });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${p} answered ${response.status}`);
      if (run > 0) times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    lines.push(`  ${times[12]!.toFixed(1).padStart(6)} ms ${times.at(-1)!.toFixed(1).padStart(6)} ms  ${decodeURIComponent(p.replaceAll('+', ' '))}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function report(scenario: Scenario, result: AutocannonResult): void {
  const line = [
    `${scenario.title}`,
    `  ${result.requests.average.toFixed(0)} requests/s (${result.requests.total} in ${result.duration.toFixed(1)} s)`,
    `  latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
    `  non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`,
    `  target: ${scenario.target}`,
  ];
  process.stdout.write(`${line.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      objects: { type: 'string', default: '100000' },
      organizations: { type: 'string', default: '300' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '10' },
      explain: { type: 'boolean', default: false },
      cluster: { type: 'boolean', default: false },
      'audit-events': { type: 'string', default: '2000000' },
    },
  });
  const objectCount = Number(values.objects);
  const organizationCount = Number(values.organizations);
  const duration = Number(values.duration);
  const connections = Number(values.connections);

  const server = await databaseServer();
  const name = `portal_bench_${randomBytes(6).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-bench-data-'));
  let handle: DatabaseHandle | null = null;
  let fastify: FastifyInstance | null = null;
  let uncached: FastifyInstance | null = null;
  let unlogged: FastifyInstance | null = null;
  let logged: FastifyInstance | null = null;
  let created = false;
  const cleanUp = async () => {
    for (const instance of [fastify, uncached, unlogged, logged]) {
      instance?.server.closeAllConnections();
      await instance?.close().catch(() => undefined);
    }
    await handle?.close().catch(() => undefined);
    if (created) await adminQuery(server.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error: unknown) => process.stderr.write(`dropping ${name} failed: ${String(error)}\n`));
    await server.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const interrupted = () => void cleanUp().then(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    await adminQuery(server.adminUrl, `CREATE DATABASE ${name}`);
    created = true;
    const url = new URL(server.adminUrl);
    url.pathname = `/${name}`;
    handle = connectDatabase(url.toString());
    await migrateToLatest(handle.db);
    await ensureKnownCalendarYears(handle.db);

    const seedStart = performance.now();
    const seeded = await seedRegistry(handle.pool, { organizations: organizationCount, objects: objectCount });
    const seedSeconds = (performance.now() - seedStart) / 1000;
    if (values.cluster) await handle.pool.query('CLUSTER objects USING objects_updated_idx; ANALYZE objects');
    const { rows: sizeRows } = await handle.pool.query<{ size: string; version: string; buffers: string }>(
      `SELECT pg_size_pretty(pg_total_relation_size('objects')) AS size, current_setting('server_version') AS version,
              current_setting('shared_buffers') AS buffers`,
    );

    const config = loadConfig({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '3000',
      DATABASE_URL: url.toString(),
      DATA_DIR: dataDir,
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'warn',
    });
    fastify = Fastify(buildServerOptions(config));
    await fastify.register(app, createAppDependencies(config, handle.db));
    // Until src/app.ts registers the registry, the bench does.
    if (!fastify.hasRoute({ method: 'GET', url: '/registry' })) await fastify.register(registryWeb);
    const objectPage = fastify.hasRoute({ method: 'GET', url: '/objects/:id' });
    const address = await fastify.listen({ host: '127.0.0.1', port: 0 });
    // The same app without the page cache, for what a page costs when it is rendered afresh (only
    // one of the two serves at a time; sessions are in the database, so one sign-in does for both).
    const uncachedConfig = { ...config, pageCacheBytes: 0 };
    uncached = Fastify(buildServerOptions(uncachedConfig));
    await uncached.register(app, createAppDependencies(uncachedConfig, handle.db));
    const uncachedAddress = await uncached.listen({ host: '127.0.0.1', port: 0 });

    const auditorEmail = `bench.auditor.${randomBytes(4).toString('hex')}@bench.example`;
    const password = randomBytes(18).toString('base64url');
    await handle.db
      .insertInto('users')
      .values({
        email: auditorEmail,
        surname: 'Аудитов',
        given_name: 'Бенч',
        patronymic: null,
        position: null,
        phone: null,
        role: 'auditor',
        organization_id: null,
        password_hash: await hashPassword(password),
        status: 'active',
        preferred_language: null,
        totp_secret: null,
        totp_enabled_at: null,
      })
      .execute();
    const cookie = await signIn(address, auditorEmail, password);

    const cpus = os.cpus();
    process.stdout.write(
      [
        '',
        `registry bench — ${new Date().toISOString()}`,
        `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, PostgreSQL ${sizeRows[0]!.version} (${server.source}, shared_buffers ${sizeRows[0]!.buffers})`,
        `data: ${seeded.objects.length} objects of ${seeded.organizations.length} organizations, ${seeded.duties} update duties; objects table with indexes ${sizeRows[0]!.size}; seeded in ${seedSeconds.toFixed(1)} s; rows ${values.cluster ? 'rewritten in the order of the latest change (--cluster)' : 'in an order unrelated to their latest change'}`,
        `load: autocannon in a worker thread of this process, ${connections} connections, ${duration} s per scenario, signed in as an auditor, Russian pages, app in production mode (templates cached, log level warn)`,
        '',
      ].join('\n'),
    );

    // Addresses as a browser sends them: autocannon writes the path as it is given.
    const registry = (query: Record<string, string>) => `/registry?${new URLSearchParams(query)}`;
    const searches = [
      registry({ q: 'системы' }),
      registry({ q: 'лицензирования' }),
      registry({ q: 'земельного кадастра' }),
      registry({ q: '"электронный документооборот"' }),
      registry({ q: 'ақпараттық жүйесі' }),
      registry({ q: 'денсаулық сақтау' }),
      registry({ q: 'кадаст' }),
      registry({ q: 'денсау' }),
      registry({ q: 'лиценз', kind: 'ict_infrastructure' }),
      registry({ q: 'ақпа', sort: 'name' }),
      registry({ q: 'мониторинг', stage: 'industrial_operation', class: '2' }),
      registry({ overdue: '1' }),
      registry({ sort: 'name' }),
      registry({}),
    ];
    if (values.explain) await explainSearches(handle, searches);
    await eachAlone(address, cookie, searches);

    const probe = seeded.objects.filter((_, index) => index % Math.max(1, Math.floor(seeded.objects.length / 50)) === 0).slice(0, 50);
    const objectPaths = probe.map((o) => `/objects/${o.id}`);
    const scenarios: Array<Scenario & { baseUrl: string }> = [
      { baseUrl: address, title: `(a) registry search page: ${searches.length} queries (Russian, Kazakh, partial words, filters, sorts), in turn`, paths: searches, target: 'p99 under 100 ms' },
      objectPage
        ? { baseUrl: address, title: `(b) object page /objects/:id, ${probe.length} objects in turn (page cache on, as the server runs)`, paths: objectPaths, target: 'at least 1,000 requests/s' }
        : {
            baseUrl: address,
            title: `(b) object page: no /objects/:id route in the app yet — measured instead: /registry filtered to one object (its exact name and owner), ${probe.length} objects in turn`,
            paths: probe.map((o) => registry({ q: o.nameRu, organization: o.organizationId })),
            target: 'at least 1,000 requests/s (for the object page)',
          },
      ...(objectPage
        ? [{ baseUrl: uncachedAddress, title: `(c) the same object pages with the page cache off (PAGE_CACHE_MB=0): every page rendered afresh`, paths: objectPaths, target: 'none (what a first view of a page costs)' }]
        : []),
    ];
    for (const scenario of scenarios) {
      const before = fastify.deps.pageCache.stats();
      report(scenario, await run(scenario.baseUrl, cookie, scenario, { duration, connections }));
      const after = fastify.deps.pageCache.stats();
      if (after.hits + after.misses > before.hits + before.misses) {
        process.stdout.write(`  page cache: ${after.hits - before.hits} hits, ${after.misses - before.misses} misses; ${after.pages} pages held, ${(after.bytes / 2 ** 20).toFixed(1)} MB\n`);
      }
    }

    const auditEvents = Number(values['audit-events']);
    if (auditEvents > 0 && objectPage) {
      // The auditors' workbench (issue 13) on a log of two years.
      const audit = await seedAuditEvents(handle.pool, auditEvents);
      process.stdout.write(`\naudit log: ${audit.events} events over ${seeded.objects.length} objects (${audit.size} with the scope table), seeded in ${audit.seconds.toFixed(1)} s\n`);
      const month = toAlmatyMonth(new Date(Date.now() - 200 * DAY_MS));
      const [monthStart, monthEnd] = [`${month}-01`, `${month}-28`];
      const audited = probe.slice(0, 20);
      const viewer = (query: Record<string, string>) => `/audit?${new URLSearchParams(query)}`;
      const auditPaths = {
        object: audited.map((o) => viewer({ object: o.id })),
        actor: [...audit.staffIds, ...audit.reviewerIds].map((id) => viewer({ actor: id })),
        organizationMonth: audited.map((o) => viewer({ organization: o.organizationId, from: monthStart, to: monthEnd })),
        text: ['лицензирования', 'кадастра', 'мониторинга', 'документооборота', 'денсаулық'].map((q) => viewer({ q })),
      };
      await eachAlone(address, cookie, [auditPaths.object[0]!, auditPaths.actor[0]!, auditPaths.organizationMonth[0]!, ...auditPaths.text, `/objects/${audited[0]!.id}/history`]);
      // The same app with a log that keeps nothing, for the object page's cost of registering each read (004 §16.4).
      unlogged = Fastify(buildServerOptions(config));
      await unlogged.register(app, createAppDependencies(config, handle.db, { accessLog: { record() {}, flush: async () => {}, close: async () => {} } }));
      const unloggedAddress = await unlogged.listen({ host: '127.0.0.1', port: 0 });
      // And a fresh one with the log as the server runs it, so that the two differ in nothing else.
      logged = Fastify(buildServerOptions(config));
      const loggedDeps = createAppDependencies(config, handle.db);
      await logged.register(app, loggedDeps);
      const loggedAddress = await logged.listen({ host: '127.0.0.1', port: 0 });
      const auditScenarios: Array<Scenario & { baseUrl: string }> = [
        { baseUrl: address, title: `(d1) audit log filtered by object, ${auditPaths.object.length} objects in turn`, paths: auditPaths.object, target: 'p99 under 100 ms' },
        { baseUrl: address, title: `(d2) audit log filtered by actor, ${auditPaths.actor.length} people in turn`, paths: auditPaths.actor, target: 'p99 under 100 ms' },
        { baseUrl: address, title: `(d3) audit log filtered by organization and month (${month}), ${auditPaths.organizationMonth.length} organizations in turn`, paths: auditPaths.organizationMonth, target: 'p99 under 100 ms' },
        { baseUrl: address, title: `(d4) audit log filtered by words, ${auditPaths.text.length} queries in turn`, paths: auditPaths.text, target: 'p99 under 100 ms' },
        { baseUrl: address, title: `(e) object timeline /objects/:id/history, ${audited.length} objects in turn`, paths: audited.map((o) => `/objects/${o.id}/history`), target: 'p99 under 50 ms' },
      ];
      for (const scenario of auditScenarios) report(scenario, await run(scenario.baseUrl, cookie, scenario, { duration, connections }));
      // Logging on and off in turn, twice each, on two fresh apps alike but for the log.
      const pair = { on: [] as number[], off: [] as number[] };
      for (const round of [1, 2]) {
        for (const [which, baseUrl] of [['off', unloggedAddress], ['on', loggedAddress]] as const) {
          const scenario = { baseUrl, title: `(f${which === 'on' ? 1 : 2}.${round}) object page with access logging ${which}`, paths: objectPaths, target: which === 'on' ? 'within 10 % of logging off' : 'the baseline' };
          const result = await run(baseUrl, cookie, scenario, { duration, connections });
          report(scenario, result);
          pair[which].push(result.requests.average);
        }
      }
      const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
      const [on, off] = [mean(pair.on), mean(pair.off)];
      await loggedDeps.accessLog.flush();
      const { rows: registered } = await handle.pool.query<{ n: string }>(`SELECT count(*) AS n FROM access_events WHERE kind = 'object_page'`);
      process.stdout.write(`  access logging: ${((on / off - 1) * 100).toFixed(1)} % throughput against logging off; ${registered[0]!.n} page reads registered\n`);
    }
  } finally {
    await cleanUp();
  }
}

function toAlmatyMonth(instant: Date): string {
  return new Date(instant.getTime() + 5 * 3_600_000).toISOString().slice(0, 7);
}

/** The plans of the search queries as PostgreSQL runs them, to see which indexes answer them (--explain). */
async function explainSearches(handle: DatabaseHandle, paths: string[]): Promise<void> {
  const captured: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  // The same pool, with a log that keeps each statement; not destroyed here (that would end the pool).
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: handle.pool }),
    log: (event) => {
      if (event.level === 'query') captured.push(event.query);
    },
  });
  const auditor: AuthUser = { id: randomUUID(), email: 'explain@bench.example', role: 'auditor', organizationId: null, fullName: 'explain' };
  for (const p of paths) {
    const query = registryQuerySchema.parse(Object.fromEntries(new URL(p, 'http://bench').searchParams));
    captured.length = 0;
    await searchObjects(db, auditor, { ...toFilters(query), limit: 25, language: 'ru' });
    for (const statement of captured) {
      const { rows } = await handle.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statement.sql}`, [...statement.parameters]);
      process.stdout.write(`\n-- ${decodeURIComponent(p.replaceAll('+', ' '))}\n${rows.map((row) => row['QUERY PLAN']).join('\n')}\n`);
    }
  }
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
