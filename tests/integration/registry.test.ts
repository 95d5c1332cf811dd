import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import app from '../../src/app.ts';
import { AppError } from '../../src/errors.ts';
import type { AuthUser } from '../../src/access/permissions.ts';
import { createAppDependencies } from '../../src/deps.ts';
import type { LifecycleStage } from '../../src/modules/objects/lifecycle.ts';
import type { ObjectKind, ObjectPassport } from '../../src/modules/objects/passport.ts';
import { connectDatabase } from '../../src/db/connection.ts';
import { makeValidBin } from '../../src/modules/organizations/bin-iin.ts';
import {
  exportObjectsCsv,
  type RegistryFilters,
  type RegistryItem,
  type RegistrySort,
  searchObjects,
  type SearchOptions,
} from '../../src/modules/registry/registry.service.ts';
import { RECENT_WINDOW } from '../../src/modules/registry/registry.repository.ts';
import registryWeb from '../../src/modules/registry/registry.web.ts';
import { buildServerOptions } from '../../src/server-options.ts';
import { testConfig } from '../support/app.ts';
import { type Browserless, createOrganization, createUser, signInAs, type TestUser } from '../support/auth.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// ---------------------------------------------------------------------------------------------
// Fixtures

const TODAY = '2026-11-20';

let database: TestDatabase;
let portal: FastifyInstance;
let orgA: string;
let orgB: string;
let auditor: TestUser;
let staffA: TestUser;
let auditorSession: Browserless;
let staffASession: Browserless;

const asActor = (user: TestUser): AuthUser => ({ id: user.id, email: user.email, role: user.role, organizationId: user.organizationId, fullName: 'Тестов Тест' });

/** The real app; the registry routes are added here until src/app.ts registers them itself. */
async function buildPortal(db: TestDatabase): Promise<FastifyInstance> {
  const config = testConfig(db);
  const fastify = Fastify(buildServerOptions(config));
  await fastify.register(app, createAppDependencies(config, db.db));
  if (!fastify.hasRoute({ method: 'GET', url: '/registry' })) await fastify.register(registryWeb);
  await fastify.ready();
  return fastify;
}

let binSerial = 31_000;
function newBin(): string {
  for (;;) {
    const bin = makeValidBin(`050340${String(binSerial++).padStart(5, '0')}`);
    if (bin) return bin;
  }
}

interface ObjectSeed {
  organizationId: string;
  nameRu: string;
  nameKk: string;
  purposeRu?: string;
  purposeKk?: string;
  kind?: ObjectKind;
  class?: 1 | 2 | 3;
  stage?: LifecycleStage;
  reviewStatus?: string;
  updatedAt?: Date;
  accountCode?: string | null;
}

function passportFor(seed: Required<Omit<ObjectSeed, 'updatedAt' | 'accountCode' | 'stage' | 'reviewStatus'>>): ObjectPassport {
  return {
    kind: seed.kind,
    ...(seed.kind === 'ict_infrastructure' ? { infrastructure_subkind: 'information_system' as const } : {}),
    ...(seed.kind === 'ict_service' ? { service_type: 'infrastructure' as const } : {}),
    class: seed.class,
    name: { full: { kk: seed.nameKk, ru: seed.nameRu } },
    purpose: { kk: seed.purposeKk, ru: seed.purposeRu },
    owner_organization_id: seed.organizationId,
    placement: { type: 'egov_ict_platform' },
    funding: 'own_funds',
    contacts: [{ full_name: 'Ахметов Арман', position: 'Бас сарапшы', phone: '+77011234567', email: 'a.akhmetov@example.kz' }],
  };
}

async function insertObject(seed: ObjectSeed): Promise<string> {
  const full = {
    organizationId: seed.organizationId,
    nameRu: seed.nameRu,
    nameKk: seed.nameKk,
    purposeRu: seed.purposeRu ?? 'Учет сведений',
    purposeKk: seed.purposeKk ?? 'Мәліметтерді есепке алу',
    kind: seed.kind ?? 'state_body_software',
    class: seed.class ?? 2,
  };
  const stage = seed.stage ?? 'industrial_operation';
  const row = await database.db
    .insertInto('objects')
    .values({
      organization_id: full.organizationId,
      passport: JSON.stringify(passportFor(full)),
      kind: full.kind,
      class: full.class,
      name_kk: full.nameKk,
      name_ru: full.nameRu,
      purpose_kk: full.purposeKk,
      purpose_ru: full.purposeRu,
      stage,
      step: stage === 'creation' || stage === 'development' ? 'development_work' : null,
      review_status: seed.reviewStatus ?? 'draft',
      account_code: seed.accountCode ?? null,
      updated_at: seed.updatedAt ?? new Date('2026-06-01T10:00:00Z'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function addDuty(objectId: string, organizationId: string, dueOn: string, fulfilled: boolean): Promise<void> {
  await database.db
    .insertInto('update_duties')
    .values({
      object_id: objectId,
      organization_id: organizationId,
      source: 'information_changed',
      changed_on: '2026-10-01',
      due_on: dueOn,
      fulfilled_at: fulfilled ? new Date('2026-10-10T10:00:00Z') : null,
    })
    .execute();
}

const ids: Record<string, string> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  portal = await buildPortal(database);
  orgA = await createOrganization(database.db, { bin: newBin(), name_ru: 'Министерство цифрового развития', name_kk: 'Цифрлық даму министрлігі' });
  orgB = await createOrganization(database.db, { bin: newBin(), name_ru: 'Акимат города Астаны', name_kk: 'Астана қаласының әкімдігі' });
  auditor = await createUser(database.db, 'auditor');
  staffA = await createUser(database.db, 'staff', { organizationId: orgA });
  auditorSession = await signInAs(portal, auditor);
  staffASession = await signInAs(portal, staffA);

  ids.licensing = await insertObject({
    organizationId: orgA,
    nameRu: 'Информационная система «Электронное лицензирование»',
    nameKk: '«Электрондық лицензиялау» ақпараттық жүйесі',
    purposeRu: 'Выдача лицензий в электронной форме',
    purposeKk: 'Лицензияларды электрондық нысанда беру',
    kind: 'ict_infrastructure',
    class: 1,
    reviewStatus: 'accepted',
    accountCode: 'OI-2026-000001',
    updatedAt: new Date('2026-09-01T08:00:00Z'),
  });
  ids.informationSystem = await insertObject({
    organizationId: orgB,
    nameRu: 'Ақпараттық жүйе «Жер кадастры»',
    nameKk: 'Жер кадастрының ақпараттық жүйе',
    purposeRu: 'Ведение земельного кадастра',
    purposeKk: 'Жер кадастрын жүргізу',
    kind: 'ict_infrastructure',
    stage: 'creation',
    reviewStatus: 'submitted',
    updatedAt: new Date('2026-08-01T08:00:00Z'),
  });
  ids.purposeOnly = await insertObject({
    organizationId: orgB,
    nameRu: 'Портал открытых данных',
    nameKk: 'Ашық деректер порталы',
    purposeRu: 'Публикация наборов данных из информационной системы государственных органов',
    purposeKk: 'Мемлекеттік органдардың деректер жинақтарын жариялау',
    kind: 'state_body_internet_resource',
    class: 3,
    stage: 'development',
    reviewStatus: 'returned',
    updatedAt: new Date('2026-10-01T08:00:00Z'),
  });
  // Every Kazakh-specific letter: ә ғ қ ң ө ұ ү һ і, with capitals in the name.
  ids.kazakhLetters = await insertObject({
    organizationId: orgA,
    nameRu: 'Система социальной помощи',
    nameKk: 'ӘЛЕУМЕТТІК ғылыми қоңырау өңірлік ұлттық үкімет шаһар ісі',
    purposeKk: 'Әлеуметтік көмек',
    kind: 'state_electronic_information_resource',
    class: 3,
    stage: 'termination',
    updatedAt: new Date('2026-07-01T08:00:00Z'),
  });
  // Formula injection and CSV quoting.
  ids.formula = await insertObject({
    organizationId: orgB,
    nameRu: '=HYPERLINK("http://evil.example";"нажми")',
    nameKk: '+SUM(1;2) "тырнақша"',
    kind: 'ict_service',
    updatedAt: new Date('2026-05-01T08:00:00Z'),
  });
  ids.minus = await insertObject({ organizationId: orgA, nameRu: '-2+3 справочник', nameKk: '@анықтамалық', updatedAt: new Date('2026-05-02T08:00:00Z') });

  // Ties: the same name and the same moment of change for many objects, over both organizations.
  const tied = new Date('2026-03-03T03:03:03.123456Z');
  for (let i = 0; i < 30; i++) {
    ids[`tie${i}`] = await insertObject({
      organizationId: i % 3 === 0 ? orgB : orgA,
      nameRu: 'Реестр техники',
      nameKk: 'Техника тізілімі',
      // "систем" in the purpose only: the second relevance tier.
      ...(i < 10 ? { purposeRu: 'Учет техники для системы мониторинга' } : {}),
      kind: i % 2 === 0 ? 'state_body_software' : 'platform_software_product',
      class: (1 + (i % 3)) as 1 | 2 | 3,
      stage: i % 4 === 0 ? 'creation' : 'industrial_operation',
      reviewStatus: i % 5 === 0 ? 'accepted' : 'draft',
      updatedAt: i < 20 ? tied : new Date(tied.getTime() + i * 1000),
    });
  }
  // "система" only as part of a longer word: the third relevance tier, tied too.
  for (let i = 0; i < 6; i++) {
    ids[`partial${i}`] = await insertObject({
      organizationId: i % 2 === 0 ? orgA : orgB,
      nameRu: 'Систематизатор архивов',
      nameKk: 'Мұрағат жүйелеуіші',
      // Changed after the tiers above them: a cursor's date must not cut them off.
      updatedAt: new Date('2026-10-20T02:02:02Z'),
    });
  }
  // Microseconds apart: a cursor that lost them (a JS Date) would skip or repeat these.
  await sql`UPDATE objects SET updated_at = '2026-03-03T03:03:03.123457Z' WHERE id = ${ids.tie0!}::uuid`.execute(database.db);

  await addDuty(ids.licensing!, orgA, '2026-11-01', false); // open, past due: overdue
  await addDuty(ids.informationSystem!, orgB, '2026-12-01', false); // open, not yet due
  await addDuty(ids.purposeOnly!, orgB, '2026-10-15', true); // past due but fulfilled
  await addDuty(ids.tie3!, orgB, '2026-11-19', false); // overdue, due yesterday
  await addDuty(ids.tie4!, orgA, TODAY, false); // due today: not overdue yet
});

afterAll(async () => {
  await portal?.close();
  await database?.destroy();
});

// ---------------------------------------------------------------------------------------------
// Helpers

function search(user: TestUser, options: Partial<SearchOptions> = {}) {
  return searchObjects(database.db, asActor(user), { sort: 'updated', limit: 50, today: TODAY, ...options });
}

/** Every row of a filter, page by page through nextCursor. */
async function allPages(user: TestUser, options: Partial<SearchOptions>, limit: number): Promise<RegistryItem[][]> {
  const pages: RegistryItem[][] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await search(user, { ...options, cursor, limit });
    pages.push(page.items);
    if (!page.nextCursor) return pages;
    cursor = page.nextCursor;
  }
  throw new Error('pagination does not end');
}

/** Pages read backwards from the last one through previousCursor are the pages read forwards. */
async function expectBackwardPagesToMatch(options: Partial<SearchOptions>, limit: number): Promise<void> {
  const forward = [await search(auditor, { ...options, limit })];
  expect(forward[0]!.previousCursor).toBeNull();
  while (forward.at(-1)!.nextCursor) forward.push(await search(auditor, { ...options, limit, cursor: forward.at(-1)!.nextCursor! }));
  for (let index = forward.length - 1; index > 0; index--) {
    const back = await search(auditor, { ...options, limit, cursor: forward[index]!.previousCursor! });
    expect(back.items.map((item) => item.id), JSON.stringify(options)).toEqual(forward[index - 1]!.items.map((item) => item.id));
    expect(back.previousCursor === null, 'only the first page has no previous page').toBe(index - 1 === 0);
    expect(back.nextCursor).not.toBeNull();
  }
}

async function everyId(user: TestUser, options: Partial<SearchOptions>): Promise<string[]> {
  return (await allPages(user, options, 200)).flat().map((item) => item.id);
}

function get(url: string, session: Browserless | null, language = 'en') {
  return portal.inject({ url, headers: { cookie: `${session ? `${session.cookie}; ` : ''}lang=${language}` } });
}

async function csvOf(user: TestUser, filters: Partial<RegistryFilters> = {}, language: 'kk' | 'ru' | 'en' = 'ru'): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of exportObjectsCsv(database.db, asActor(user), { sort: 'updated', ...filters }, { language, today: TODAY })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// Searching

describe('search', () => {
  it('finds Russian words in other forms (stemming): "системы" finds "Информационная система …"', async () => {
    const found = await everyId(auditor, { q: 'системы', sort: 'relevance' });
    expect(found).toContain(ids.licensing);
    expect(found).toContain(ids.kazakhLetters);
    expect(await everyId(auditor, { q: 'лицензирования' })).toContain(ids.licensing);
    expect(await everyId(auditor, { q: 'земельном' })).toContain(ids.informationSystem);
  });

  it('finds Kazakh whole words, parts of words and four-letter prefixes', async () => {
    expect(await everyId(auditor, { q: 'жүйесі' })).toContain(ids.licensing);
    for (const q of ['ақпарат', 'ақпа', 'ақпараттық жүй']) {
      const found = await everyId(auditor, { q });
      expect(found, q).toContain(ids.informationSystem);
      expect(found, q).toContain(ids.licensing);
    }
  });

  it('matches every Kazakh letter, in capitals too', async () => {
    for (const q of ['әлеу', 'ӘЛЕУМЕТТІК', 'ғылы', 'қоңы', 'өңір', 'ұлтт', 'үкім', 'шаһа', 'ісі', 'Әлеуметтік көмек']) {
      expect(await everyId(auditor, { q }), q).toEqual([ids.kazakhLetters]);
    }
  });

  it('finds nothing for text that is nowhere, and takes websearch syntax', async () => {
    expect(await everyId(auditor, { q: 'несуществующийтермин' })).toEqual([]);
    expect(await everyId(auditor, { q: 'информационная -лицензирование' })).not.toContain(ids.licensing);
    expect(await everyId(auditor, { q: '"электронное лицензирование"' })).toEqual([ids.licensing]);
    expect(await everyId(auditor, { q: '100%_\\' })).toEqual([]);
  });

  it('ranks matches in a name before matches in the purpose, and those before parts of words', async () => {
    const order = (await allPages(auditor, { q: 'система', sort: 'relevance' }, 4)).flat().map((item) => item.id);
    expect(order.length).toBe(2 + 11 + 6);
    expect(order.slice(0, 2)).toEqual([ids.licensing, ids.kazakhLetters]); // names, latest change first
    // Purposes only, latest change first: the portal, then the tied ones by id (descending).
    expect(order[2]).toBe(ids.purposeOnly);
    expect(new Set(order.slice(3, 13))).toEqual(new Set(Array.from({ length: 10 }, (_, i) => ids[`tie${i}`])));
    expect(new Set(order.slice(13))).toEqual(new Set(Array.from({ length: 6 }, (_, i) => ids[`partial${i}`])));
  });

  it('narrows by each filter', async () => {
    const all = (await allPages(auditor, {}, 200)).flat();
    const checks: Array<[Partial<SearchOptions>, (item: RegistryItem) => boolean]> = [
      [{ organizationId: orgB }, (item) => item.organization.id === orgB],
      [{ owner: 'АСТАНЫ' }, (item) => item.organization.id === orgB],
      [{ owner: 'цифрлық даму' }, (item) => item.organization.id === orgA],
      [{ kind: 'platform_software_product' }, (item) => item.kind === 'platform_software_product'],
      [{ class: 1 }, (item) => item.class === 1],
      [{ stage: 'creation' }, (item) => item.stage === 'creation'],
      [{ reviewStatus: 'accepted' }, (item) => item.reviewStatus === 'accepted'],
      [{ overdue: true }, (item) => item.overdue],
    ];
    for (const [filter, holds] of checks) {
      const found = (await allPages(auditor, filter, 200)).flat();
      expect(found.length, JSON.stringify(filter)).toBeGreaterThan(0);
      expect(found.every(holds), JSON.stringify(filter)).toBe(true);
      expect(found.map((item) => item.id).sort(), JSON.stringify(filter)).toEqual(all.filter(holds).map((item) => item.id).sort());
    }
    const binA = (await database.db.selectFrom('organizations').select('bin').where('id', '=', orgA).executeTakeFirstOrThrow()).bin;
    expect((await allPages(auditor, { owner: binA }, 200)).flat().every((item) => item.organization.id === orgA)).toBe(true);
    expect(await everyId(auditor, { owner: 'нет такой организации' })).toEqual([]);
    const combined = await everyId(auditor, { kind: 'platform_software_product', class: 2, stage: 'industrial_operation', organizationId: orgA });
    expect(combined.length).toBeGreaterThan(0);
    expect(combined.length).toBeLessThan(all.length);
  });

  it('calls overdue an open update duty past its due day (Asia/Almaty), not one due today, fulfilled or still to come', async () => {
    expect((await everyId(auditor, { overdue: true })).sort()).toEqual([ids.licensing, ids.tie3].sort());
    const flags = new Map((await allPages(auditor, {}, 200)).flat().map((item) => [item.id, item.overdue]));
    expect(flags.get(ids.licensing!)).toBe(true);
    expect(flags.get(ids.informationSystem!)).toBe(false);
    expect(flags.get(ids.purposeOnly!)).toBe(false);
    expect(flags.get(ids.tie4!)).toBe(false);
    // A day later the duty due today is overdue too.
    expect(await search(auditor, { overdue: true, today: '2026-11-21' }).then((page) => page.items.map((item) => item.id))).toContain(ids.tie4);
  });

  // See "Plans" at the top of registry.service.ts: planning a search statement cost as much as running it.
  it('keeps one plan per search shape, made without the values, after PostgreSQL\'s first five', async () => {
    const single = connectDatabase(database.url, { max: 1 });
    try {
      const shapes: Array<Partial<SearchOptions>> = [
        { q: 'системы', sort: 'relevance' },
        { q: 'лиценз', sort: 'relevance', kind: 'ict_infrastructure' },
        { q: 'мониторинг', sort: 'relevance', stage: 'industrial_operation', class: 2 },
        { q: 'ақпа', sort: 'name', language: 'ru' },
        { sort: 'updated' },
        { sort: 'name', reviewStatus: 'draft' },
      ];
      const words = ['системы', 'жүйе', 'кадастр', 'ақпарат', 'реестр', 'учета', 'мемлекеттік'];
      for (const shape of shapes) {
        for (const word of words) {
          await searchObjects(single.db, asActor(auditor), { limit: 10, today: TODAY, ...shape, ...(shape.q ? { q: word } : {}) } as SearchOptions);
        }
      }
      const { rows } = await sql<{ statement: string; generic: string; custom: string }>`
        SELECT statement, generic_plans AS generic, custom_plans AS custom FROM pg_prepared_statements
        WHERE statement LIKE '%FROM objects o%' AND statement NOT LIKE '%pg_prepared_statements%'`.execute(single.db);
      // Statements run past PostgreSQL's five custom plans (each shape's first, and a later group's with the same count).
      const kept = rows.filter((row) => Number(row.generic) + Number(row.custom) > 5);
      expect(kept.length).toBeGreaterThanOrEqual(shapes.length);
      const planned = kept.filter((row) => Number(row.generic) === 0).map((row) => `${row.custom} custom plans: ${row.statement.replace(/\s+/g, ' ').slice(0, 300)}`);
      expect(planned).toEqual([]);
    } finally {
      await single.close();
    }
  });

  it('refuses what it does not know instead of guessing', async () => {
    await expect(search(auditor, { kind: 'spaceship' as ObjectKind })).rejects.toThrow(AppError);
    await expect(search(auditor, { cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const named = await search(auditor, { sort: 'name', limit: 2 });
    // A cursor of one sort does not resume another.
    await expect(search(auditor, { sort: 'updated', cursor: named.nextCursor! })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(searchObjects(database.db, null, { sort: 'updated', limit: 10 })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

// ---------------------------------------------------------------------------------------------
// Pagination

describe('keyset pagination', () => {
  const cases: Array<[string, Partial<SearchOptions>]> = [
    ['updated', { sort: 'updated' }],
    ['name (Russian)', { sort: 'name', language: 'ru' }],
    ['name (Kazakh)', { sort: 'name', language: 'kk' }],
    ['relevance, three tiers', { sort: 'relevance', q: 'система' }],
    ['relevance, part of a word', { sort: 'relevance', q: 'техни' }],
    ['relevance, Kazakh', { sort: 'relevance', q: 'ақпараттық' }],
    ['relevance without a query (falls back to updated)', { sort: 'relevance' }],
    ['filtered', { sort: 'name', kind: 'state_body_software', language: 'ru' }],
  ];

  it.each(cases)('returns every row exactly once, in order, for %s (with ties)', async (_, options) => {
    const expected = (await allPages(auditor, options, 200)).flat().map((item) => item.id);
    expect(new Set(expected).size).toBe(expected.length);
    for (const limit of [1, 4, 7]) {
      const pages = await allPages(auditor, options, limit);
      expect(pages.every((page) => page.length <= limit)).toBe(true);
      expect(pages.flat().map((item) => item.id)).toEqual(expected);
    }
  });

  it('keeps ties in a total order: name, then id', async () => {
    const items = (await allPages(auditor, { sort: 'name', language: 'ru' }, 5)).flat();
    for (let i = 1; i < items.length; i++) {
      const [a, b] = [items[i - 1]!, items[i]!];
      expect(a.nameRu < b.nameRu || (a.nameRu === b.nameRu && a.id < b.id), `${a.nameRu}/${a.id} before ${b.nameRu}/${b.id}`).toBe(true);
    }
  });

  it('goes back page by page through previousCursor to the first page', async () => {
    for (const options of [{ sort: 'updated' }, { sort: 'name', language: 'kk' }, { sort: 'relevance', q: 'система' }] as Array<Partial<SearchOptions>>) {
      await expectBackwardPagesToMatch(options, 6);
    }
  });

  it('pages past many objects, where matches are sparse or missing among the latest changes', async () => {
    // More newer objects than the index-order window holds; one in a hundred is a "Реестр техники":
    // a few within the window's first rows, too few in the whole window to fill a page of 50.
    const newer = RECENT_WINDOW + 500;
    await sql`
      INSERT INTO objects (organization_id, passport, kind, class, name_kk, name_ru, purpose_kk, purpose_ru, stage, updated_at)
      SELECT ${orgB}::uuid, passport, kind, class,
             CASE WHEN n % 100 = 0 THEN 'Жаңа техника ' ELSE 'Көлік ' END || n,
             CASE WHEN n % 100 = 0 THEN 'Реестр техники новой ' ELSE 'Транспорт ' END || n,
             'Тасымал', 'Перевозки', 'industrial_operation', timestamptz '2026-11-01' + n * interval '1 second'
      FROM objects, generate_series(1, ${newer}::int) AS n WHERE objects.id = ${ids.minus!}::uuid`.execute(database.db);
    const sparse = 30 + Math.floor(newer / 100);
    try {
      for (const options of [
        { sort: 'relevance', q: 'техники' },
        { sort: 'updated', q: 'техники' },
        { sort: 'relevance', q: 'техни' },
        { sort: 'name', q: 'техники', language: 'ru' },
      ] as Array<Partial<SearchOptions>>) {
        for (const limit of [7, 50]) {
          const found = (await allPages(auditor, options, limit)).flat().map((item) => item.id);
          expect(found.length, JSON.stringify(options)).toBe(sparse);
          expect(new Set(found).size).toBe(sparse);
        }
      }
      // No match at all among the latest: all three tiers found through the GIN indexes.
      for (const limit of [1, 3, 5]) {
        const tiers = (await allPages(auditor, { sort: 'relevance', q: 'система' }, limit)).flat().map((item) => item.id);
        expect(tiers.slice(0, 2)).toEqual([ids.licensing, ids.kazakhLetters]);
        expect(new Set(tiers.slice(13))).toEqual(new Set(Array.from({ length: 6 }, (_, i) => ids[`partial${i}`])));
        expect(tiers.length).toBe(19);
      }
      await expectBackwardPagesToMatch({ sort: 'relevance', q: 'система' }, 4);
      await expectBackwardPagesToMatch({ sort: 'relevance', q: 'техники' }, 7);
      // And where matches are dense among the latest: the window fills the page.
      const dense = (await allPages(auditor, { sort: 'relevance', q: 'транспорт' }, 100)).flat();
      expect(dense.length).toBe(newer - Math.floor(newer / 100));
      expect(new Set(dense.map((item) => item.id)).size).toBe(dense.length);
    } finally {
      await sql`DELETE FROM objects WHERE updated_at >= '2026-11-01'`.execute(database.db);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Who sees what

describe('organization scoping', () => {
  it('shows staff only their organization, whatever they ask for', async () => {
    const own = (await allPages(staffA, {}, 200)).flat();
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((item) => item.organization.id === orgA)).toBe(true);
    expect(await everyId(staffA, { organizationId: orgB })).toEqual([]);
    expect(await everyId(staffA, { owner: 'Астаны' })).toEqual([]);
    expect(await everyId(staffA, { q: 'кадастр' })).toEqual([]);
    expect(await everyId(staffA, { q: 'лицензирование' })).toEqual([ids.licensing]);
  });

  it('shows an auditor every organization', async () => {
    const all = (await allPages(auditor, {}, 200)).flat();
    expect(new Set(all.map((item) => item.organization.id))).toEqual(new Set([orgA, orgB]));
    const { count } = await database.db.selectFrom('objects').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
    expect(all.length).toBe(Number(count));
  });

  it('exports to staff only their organization', async () => {
    const csv = await csvOf(staffA);
    expect(csv).toContain('Электронное лицензирование');
    expect(csv).not.toContain('Жер кадастры');
    expect(csv).not.toContain('HYPERLINK');
    const orgBBin = (await database.db.selectFrom('organizations').select('bin').where('id', '=', orgB).executeTakeFirstOrThrow()).bin;
    expect(csv).not.toContain(orgBBin);
  });
});

// ---------------------------------------------------------------------------------------------
// CSV

/** Splits RFC 4180 text with ";" into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ';') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += char;
  }
  return rows;
}

describe('CSV export', () => {
  it('starts with the UTF-8 byte order mark, separates with ";" and ends lines with CRLF', async () => {
    const csv = await csvOf(auditor);
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const rows = parseCsv(csv.slice(1));
    expect(rows[0]).toEqual([
      'Идентификатор',
      'Учетный код',
      'Наименование на казахском языке',
      'Наименование на русском языке',
      'Владелец',
      'БИН владельца',
      'Вид',
      'Класс',
      'Стадия жизненного цикла',
      'Статус проверки',
      'Просрочено обновление',
      'Изменено (время Астаны)',
    ]);
    const licensing = rows.find((row) => row[0] === ids.licensing)!;
    expect(licensing).toEqual([
      ids.licensing,
      'OI-2026-000001',
      '«Электрондық лицензиялау» ақпараттық жүйесі',
      'Информационная система «Электронное лицензирование»',
      'Министерство цифрового развития',
      expect.stringMatching(/^\d{12}$/),
      'Объект информационно-коммуникационной инфраструктуры «электронного правительства»',
      '1',
      'Промышленная эксплуатация',
      'Присвоен учетный код',
      'Да',
      '2026-09-01 13:00',
    ]);
  });

  it('makes formulas inert and escapes quotes and separators', async () => {
    const csv = await csvOf(auditor);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"";""нажми"")"`);
    expect(csv).toContain(`"'+SUM(1;2) ""тырнақша"""`);
    expect(csv).toContain(`"'-2+3 справочник"`);
    expect(csv).toContain(`"'@анықтамалық"`);
    const rows = parseCsv(csv.slice(1));
    expect(rows.find((row) => row[0] === ids.formula)![3]).toBe(`'=HYPERLINK("http://evil.example";"нажми")`);
    expect(new Set(rows.map((row) => row.length))).toEqual(new Set([12]));
  });

  it('exports every row of the filter, in several keyset pages', async () => {
    const filters: Partial<RegistryFilters> = { q: 'техники', sort: 'name' as RegistrySort };
    const rows = parseCsv((await csvOf(auditor, filters)).slice(1)).slice(1);
    const expected = await everyId(auditor, { ...filters, language: 'ru' });
    expect(rows.map((row) => row[0])).toEqual(expected);
    expect(rows.length).toBe(30);
    const everything = parseCsv((await csvOf(auditor)).slice(1)).slice(1);
    const { count } = await database.db.selectFrom('objects').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
    expect(everything.length).toBe(Number(count));
  });

  it('labels the columns in the reader’s language', async () => {
    const kazakh = await csvOf(auditor, {}, 'kk');
    expect(kazakh).toContain('"Сәйкестендіргіш";"Есептік код"');
    expect(kazakh).toContain('Цифрлық даму министрлігі');
  });
});

// ---------------------------------------------------------------------------------------------
// Pages

describe('registry pages', () => {
  it('sends an anonymous visitor to sign in', async () => {
    for (const url of ['/registry', '/registry.csv']) {
      const response = await get(url, null);
      expect(response.statusCode).toBe(303);
      expect(String(response.headers.location)).toMatch(/^\/sign-in\?return=/);
    }
  });

  it('lists objects in an accessible table with filters as a GET form', async () => {
    const response = await get('/registry?q=%D0%BB%D0%B8%D1%86%D0%B5%D0%BD%D0%B7%D0%B8%D1%80%D0%BE%D0%B2%D0%B0%D0%BD%D0%B8%D1%8F', auditorSession, 'ru');
    expect(response.statusCode).toBe(200);
    const body = response.body;
    expect(body).toContain('<form method="get" action="/registry"');
    expect(body).toContain('<caption>Результаты поиска «лицензирования»</caption>');
    expect(body.match(/<th scope="col">/g)?.length).toBe(7);
    expect(body).toContain(`<a href="/objects/${ids.licensing}" lang="ru">Информационная система «Электронное лицензирование»</a>`);
    expect(body).toContain('Министерство цифрового развития');
    expect(body).toContain('Присвоен учетный код');
    expect(body).toContain('status-tag--overdue');
    expect(body).toContain('href="/registry.csv?q=');
    // Auditors narrow by owner: a text field, and each owner in the list links to its organization's objects.
    expect(body).toContain('name="owner"');
    expect(body).toContain(`href="/registry?q=%D0%BB%D0%B8%D1%86%D0%B5%D0%BD%D0%B7%D0%B8%D1%80%D0%BE%D0%B2%D0%B0%D0%BD%D0%B8%D1%8F&amp;organization=${orgA}"`);
  });

  it('shows names in the reader’s language and pages with next and previous links', async () => {
    const first = await get('/registry?sort=name', auditorSession, 'kk');
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('lang="kk">Техника тізілімі</a>');
    const next = /<a href="([^"]+)" rel="next">/.exec(first.body);
    expect(next).not.toBeNull();
    const second = await get(next![1]!.replaceAll('&amp;', '&'), auditorSession, 'kk');
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('rel="prev"');
    expect(second.body).toContain('<a href="/registry?sort=name">');
  });

  it('narrows to an owner chosen in the list, naming it, with a way back to every owner', async () => {
    const response = await get(`/registry?organization=${orgB}&kind=ict_infrastructure`, auditorSession, 'ru');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Владелец: Акимат города Астаны.');
    expect(response.body).toContain(`<input type="hidden" name="organization" value="${orgB}">`);
    expect(response.body).toContain('<a href="/registry?kind=ict_infrastructure">Показать всех владельцев</a>');
    expect(response.body).toContain('Жер кадастры');
    expect(response.body).not.toContain('Электронное лицензирование');
  });

  it('answers a tampered cursor with 400, and unknown filter values as "any"', async () => {
    expect((await get('/registry?cursor=garbage', auditorSession)).statusCode).toBe(400);
    expect((await get('/registry?kind=spaceship&class=9&stage=x&review=y&organization=nope&sort=z', auditorSession)).statusCode).toBe(200);
  });

  it('offers staff no choice of owner and shows only their objects', async () => {
    const response = await get('/registry', staffASession, 'ru');
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('name="owner"');
    expect(response.body).not.toContain('name="organization"');
    expect(response.body).toContain('Электронное лицензирование');
    expect(response.body).not.toContain('Жер кадастры');
  });

  it('downloads the CSV of the same filter', async () => {
    const response = await get('/registry.csv?kind=ict_infrastructure', staffASession, 'ru');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(String(response.headers['content-disposition'])).toMatch(/^attachment; filename="registry-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(response.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = parseCsv(response.body.replace(/^\uFEFF/, '')).slice(1);
    expect(rows.map((row) => row[0])).toEqual([ids.licensing]);
  });
});
