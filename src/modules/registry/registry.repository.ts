/**
 * The registry's SQL: the search over the objects' names and purpose in Russian and Kazakh, with
 * the filters, the sorts and the keyset position of registry.service.ts. Read only: the objects
 * module writes the objects and their update duties, the organizations module the organizations.
 *
 * How a query text matches (the columns and indexes are in migrations/…T1000_registry.ts):
 *   - Russian, stemmed: `search_ru @@ websearch_to_tsquery('russian', q)` ("системы" finds
 *     "система"; quotes, "or" and "-word" work as on web search engines);
 *   - Kazakh, whole words: `search_kk @@ websearch_to_tsquery('simple', q)` (PostgreSQL has no
 *     Kazakh stemmer; websearch rather than plainto, so quotes, "or" and "-word" mean the same in
 *     both languages);
 *   - part of a word, in the names, in either language: every word of three letters or more is
 *     a substring of `search_text` (`LIKE '%word%'`, answered by the pg_trgm GIN index), so
 *     "ақпа" and "ақпарат" find "ақпараттық жүйе".
 *
 * Relevance ranks in three tiers — every word in a name (the vectors' weight-A part), else found
 * in the purpose, else only as parts of words in a name — and, within a tier, the latest change
 * first. Not by ts_rank: a score must be computed for every match before the first row can be
 * shown, and a common word ("система", "жүйе") matches a fifth of the registry; with 100,000
 * objects, ts_rank + word_similarity over the 17,500 matches of "системы" took 0.5–1.4 s, ts_rank
 * alone 50–100 ms, on the 2-core machine.
 *
 * How a page is read (readGroup): the next RECENT_WINDOW rows in index order — (updated_at, id),
 * (name_ru, id), or staff's (organization_id, updated_at, id) — keeping those that match; a
 * common word fills the page within a few hundred rows. Only when the window holds too few
 * matches is the word rare there, and then all its matches are found through the GIN indexes and
 * sorted: few rows, unless the word is common only among objects changed long ago. The plan is thus not left to the planner's estimates, which
 * are far off for text conditions (a NOT; words that always come together, such as "ақпараттық
 * жүйесі", estimated at 436 rows for 17,540). A page costs at most about RECENT_WINDOW index rows
 * plus the matches of a rare word, whatever the query.
 *
 * Every order ends with the id, so it is total, and a keyset cursor (the last row's tier, sort key
 * and id) resumes it without OFFSET.
 *
 * Plans. Reads go as named statements (src/db/connection.ts); PostgreSQL plans one for the values
 * given ("custom") on its first five runs, then keeps a plan made without them ("generic") if that
 * costs no more. Planning a search statement took about 1 ms, as long as running it, so a search
 * must be able to keep its plan: the text query is parsed inside the statement (tsq), and the limits
 * and the values of closed lists (kind, class, stage, review status) are written into it, so a plan
 * made without the values is the same plan. With the limits as parameters PostgreSQL kept planning
 * every run (a generic plan guessing at LIMIT $1 sorted the whole table: 118 ms), and with class and
 * stage as parameters a generic plan read a fifth of the registry through objects_kind_idx (63 ms).
 * Measured on 100,000 objects: the 14 searches of the bench took 61 ms one after another when
 * planned on every run, 48 ms with kept plans. The overdue filter's day stays a parameter (a new
 * text every day would use up the statement names), so that statement is planned on each run.
 */
import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql, type Transaction } from 'kysely';
import type { Language } from '../../config.ts';
import type { Database } from '../../db/database.ts';
import type { LifecycleStage } from '../objects/lifecycle.ts';
import type { RegistryFilters, RegistryItem, RegistryOrganization, RegistrySort } from './registry.service.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** Rows read in index order before a search falls back to its GIN indexes (see readGroup). */
export const RECENT_WINDOW = 2000;
/** The first rows of that window: none of them matching, the search falls back at once. */
export const RECENT_PROBE = 300;
/** Relevance tiers, best first. */
export const TIER_NAME = 2;
export const TIER_PURPOSE = 1;
export const TIER_PART_OF_WORD = 0;

/** Where a page starts: after (next) or before (previous) the row of this tier, sort key and id. */
export interface RegistryPosition {
  direction: 'next' | 'previous';
  /** The relevance tier of the row to continue from (0 for the other sorts). */
  tier: number;
  /** The sort key of the row to continue from, as PostgreSQL prints it (exact, unlike a JS Date). */
  key: string;
  id: string;
}

/** What one page reads: the checked filters, the query texts normalized (registry.service.ts normalizeQuery). */
export interface RegistryRowQuery extends Omit<RegistryFilters, 'q' | 'owner' | 'sort'> {
  /** Staff's own organization, which every statement keeps to; null for readers of the whole registry. */
  staffOrganizationId: string | null;
  /** The query text; '' for none. */
  q: string;
  /** Part of the owner's name or its BIN; '' for any. */
  owner: string;
  /** The sort applied ('relevance' only with a query text). */
  sort: RegistrySort;
  language?: Language | undefined;
  /** Today in Asia/Almaty, 'YYYY-MM-DD', for the overdue filter and flag. */
  today: string;
  position: RegistryPosition | null;
  /** The rows of the page; one more is read when there are more. */
  limit: number;
}

/** A row of a page, with where it stands in the page's order (for the cursors). */
export interface RegistryRow {
  item: RegistryItem;
  tier: number;
  cursorKey: string;
}

interface PageRow {
  id: string;
  tier: number;
  cursor_key: string;
  name_kk: string;
  name_ru: string;
  short_name_kk: string | null;
  short_name_ru: string | null;
  kind: string;
  class: number;
  stage: LifecycleStage;
  step: string | null;
  review_status: string;
  account_code: string | null;
  updated_at: Date;
  organization_id: string;
  organization_bin: string;
  organization_name_kk: string;
  organization_name_ru: string;
  organization_name_en: string | null;
  overdue: boolean;
}

interface TextQuery {
  /** Russian (stemmed) or Kazakh (whole words) anywhere in the names and the purpose. */
  fullText: RawBuilder<SqlBool>;
  /** The same within the names, the vectors' weight-A part. */
  inName: RawBuilder<SqlBool>;
  /** Every word is part of a word of the names; null when no word is long enough to look up. */
  partOfWord: PartOfWord | null;
  /** The CTE "tsq" the conditions read their tsqueries from: parsed once per statement, not once per mention. */
  queries: RawBuilder<unknown>;
}

/** The tsquery restricted to weight A (the names): each quoted lexeme of its text form gets ":A". */
function namesOnly(query: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`regexp_replace(${query}::text, '''(?:[^'']|'''')*''', '\\&:A', 'g')::tsquery`;
}

/** The same condition twice: as the trigram index answers it, and as it is cheapest to test row by row. */
interface PartOfWord {
  /** LIKE '%word%', which the pg_trgm GIN index answers. */
  indexed: RawBuilder<SqlBool>;
  /** strpos(), for the window read in index order: the same rows, tested in about a third of LIKE's time (measured on 2,000 rows: 0.5 ms against 2.1 ms over reading them). */
  scanned: RawBuilder<SqlBool>;
}

/**
 * Every wanted word is part of a word of the names: words of three letters or more through the
 * trigram index (LIKE '%word%'); shorter ones have no trigram, so they are only checked on the
 * rows the longer ones found (strpos, which no index answers), and a query of short words only has
 * no part-of-word match. Words excluded with a leading "-" exclude rows that have them anywhere.
 * Words are runs of letters and digits, so no LIKE wildcard can reach the pattern, and LIKE and
 * strpos() find the same rows.
 */
function partOfWordMatch(q: string): PartOfWord | null {
  const tokens = q.split(' ').filter((token) => token !== 'or');
  const wordsOf = (token: string) => token.split(/[^\p{L}\p{N}]+/u).filter((word) => word !== '');
  const wanted = tokens.filter((token) => !token.startsWith('-')).flatMap(wordsOf);
  const unwanted = tokens.filter((token) => token.startsWith('-')).flatMap(wordsOf);
  if (!wanted.some((word) => [...word].length >= 3)) return null;
  const excluded = unwanted.map(
    (word) => sql<SqlBool>`NOT (strpos(o.search_text, ${word}) > 0 OR o.search_ru @@ plainto_tsquery('russian', ${word}) OR o.search_kk @@ plainto_tsquery('simple', ${word}))`,
  );
  const contains = (word: string) => sql<SqlBool>`strpos(o.search_text, ${word}) > 0`;
  const all = (conditions: RawBuilder<SqlBool>[]) => sql<SqlBool>`(${sql.join([...conditions, ...excluded], sql` AND `)})`;
  return {
    indexed: all(wanted.map((word) => ([...word].length >= 3 ? sql<SqlBool>`o.search_text LIKE ${`%${word}%`}` : contains(word)))),
    scanned: all(wanted.map(contains)),
  };
}

function textQuery(q: string): TextQuery {
  return {
    fullText: sql<SqlBool>`(o.search_ru @@ (SELECT russian FROM tsq) OR o.search_kk @@ (SELECT kazakh FROM tsq))`,
    inName: sql<SqlBool>`(o.search_ru @@ (SELECT russian_names FROM tsq) OR o.search_kk @@ (SELECT kazakh_names FROM tsq))`,
    partOfWord: partOfWordMatch(q),
    queries: sql`tsq AS MATERIALIZED (
      SELECT russian, kazakh, ${namesOnly(sql`russian`)} AS russian_names, ${namesOnly(sql`kazakh`)} AS kazakh_names
      FROM (SELECT websearch_to_tsquery('russian', ${q}) AS russian, websearch_to_tsquery('simple', ${q}) AS kazakh) AS parsed
    )`,
  };
}

/**
 * Tiers read together: rows matching `match`, in tiers given by `tierOf`; each tier's own
 * condition (on top of `match`) serves the window that reads a tier in index order.
 */
interface TierGroup {
  match: Expression<SqlBool>[];
  /** The same rows as `match`, in the form cheapest to test row by row in the window; `match` when absent. */
  scanned?: Expression<SqlBool>[];
  tierOf: RawBuilder<number>;
  tiers: Array<{ tier: number; match: Expression<SqlBool>[] }>;
}

/** An open update duty of the object is past its due day (003 §9). */
function overdueDuty(today: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`EXISTS (SELECT 1 FROM update_duties d WHERE d.object_id = o.id AND d.fulfilled_at IS NULL AND d.due_on < ${today}::date)`;
}

/** The same for the rows of a page, looked up one by one in update_duties_object_idx (an EXISTS would be hashed over every open duty). */
function overdueFlag(today: string): RawBuilder<boolean> {
  return sql<boolean>`coalesce((SELECT true FROM update_duties d WHERE d.object_id = o.id AND d.fulfilled_at IS NULL AND d.due_on < ${today}::date LIMIT 1), false)`;
}

/**
 * Up to `limit` + 1 rows of the page from `position` on, in the page's order (the page's own
 * order even when going back: the rows nearest the position first). Staff's condition is part of
 * every statement, so no page and no cursor reaches past it.
 */
export async function findRegistryRows(db: Executor, query: RegistryRowQuery): Promise<RegistryRow[]> {
  const { sort, today } = query;
  const cursor = query.position;
  const direction = cursor?.direction ?? 'next';
  // Names are read ascending, tiers and dates descending; going back reads the other way.
  const ascending = (sort === 'name') === (direction === 'next');
  const order = ascending ? 'asc' : 'desc';
  const beyond = ascending ? sql.raw('>') : sql.raw('<');

  const conditions: Expression<SqlBool>[] = [];
  if (query.staffOrganizationId !== null) conditions.push(sql<SqlBool>`o.organization_id = ${query.staffOrganizationId}::uuid`);
  if (query.organizationId) conditions.push(sql<SqlBool>`o.organization_id = ${query.organizationId}::uuid`);
  const owner = query.owner;
  if (owner) {
    conditions.push(sql<SqlBool>`o.organization_id IN (
      SELECT g.id FROM organizations g
      WHERE g.bin = ${owner} OR strpos(lower(g.name_ru), ${owner}) > 0 OR strpos(lower(g.name_kk), ${owner}) > 0 OR strpos(lower(coalesce(g.name_en, '')), ${owner}) > 0)`);
  }
  // Values of closed lists (checked by the service) are written into the statement, as are the limits: see
  // "Plans" at the top of this file.
  if (query.kind) conditions.push(sql<SqlBool>`o.kind = ${sql.lit(query.kind)}`);
  if (query.class) conditions.push(sql<SqlBool>`o.class = ${sql.lit(query.class)}`);
  if (query.stage) conditions.push(sql<SqlBool>`o.stage = ${sql.lit(query.stage)}`);
  if (query.reviewStatus) conditions.push(sql<SqlBool>`o.review_status = ${sql.lit(query.reviewStatus)}`);
  if (query.overdue) conditions.push(overdueDuty(today));
  const text = query.q === '' ? null : textQuery(query.q);

  const key = sort === 'name' ? sql.ref(query.language === 'kk' ? 'o.name_kk' : 'o.name_ru') : sql.ref('o.updated_at');
  // Kazakh names have no (name_kk, id) index: a window in their order would sort the whole table
  // for every page, so their matches are left to the planner (a rare word's few rows, sorted).
  const windowed = !(sort === 'name' && query.language === 'kk');
  const cursorKey = sort === 'name' ? sql`${cursor?.key ?? ''}::text` : sql`${cursor?.key ?? ''}::timestamptz`;
  const cursorText = sort === 'name' ? sql<string>`page.sort_key::text` : sql<string>`to_char(page.sort_key AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  const keyOrder = sql.raw(order);
  // Forward, tiers are read from the best down; backward, up.
  const tierDirection = sql.raw(direction === 'next' ? 'desc' : 'asc');
  const beyondCursor = sql<SqlBool>`(${key}, o.id) ${beyond} (${cursorKey}, ${cursor?.id ?? null}::uuid)`;
  const and = (conditions: Expression<SqlBool>[]) => sql.join([sql`TRUE`, ...conditions], sql` AND `);
  /** WITH the parsed text query (when there is one) and the given CTEs. */
  const withClause = (ctes: RawBuilder<unknown>[]) => {
    const all = [...(text ? [text.queries] : []), ...ctes];
    return all.length > 0 ? sql`WITH ${sql.join(all, sql`, `)}` : sql``;
  };

  /**
   * Rows of the page from one group of tiers, up to `limit`, in the page's order, with the owner
   * and the overdue flag. A group is read where the cursor stands (or from its start).
   */
  const readGroup = async (group: TierGroup, limit: number): Promise<PageRow[]> => {
    const tiers = group.tiers
      .filter((tier) => cursor === null || (direction === 'next' ? tier.tier <= cursor.tier : tier.tier >= cursor.tier))
      .sort((a, b) => (direction === 'next' ? b.tier - a.tier : a.tier - b.tier));
    const first = tiers[0];
    if (!first) return [];
    const firstAfterCursor = cursor !== null && cursor.tier === first.tier ? [beyondCursor] : [];
    // Rows of the group past the cursor: the cursor's tier after it, the tiers beyond it whole.
    const tierOf = group.tiers.length === 1 ? sql<number>`${sql.lit(first.tier)}::int` : group.tierOf;
    const pastCursor =
      cursor === null || !group.tiers.some((tier) => tier.tier === cursor.tier)
        ? []
        : group.tiers.length === 1
          ? [beyondCursor]
          : [sql<SqlBool>`(${tierOf} ${sql.raw(direction === 'next' ? '<' : '>')} ${sql.lit(cursor.tier)} OR (${tierOf} = ${sql.lit(cursor.tier)} AND ${beyondCursor}))`];

    let page;
    // How the page's rows are found again: by their place in the table (a TID scan) when the page
    // read them anyway, else through the primary key (an index-only scan of the order's index then
    // reads no row it does not show).
    let joinBack;
    if (group.match.length === 0 || !windowed) {
      page = sql`${withClause([])}
        SELECT o.id, ${tierOf} AS tier, ${key} AS sort_key FROM objects o WHERE ${and([...conditions, ...group.match, ...pastCursor])}
        ORDER BY 2 ${tierDirection}, ${key} ${keyOrder}, o.id ${keyOrder} LIMIT ${sql.lit(limit)}`;
      joinBack = sql`o.id = page.id`;
    } else {
      joinBack = sql`o.ctid = page.tid`;
      // The window of the first tier to read, else (too few matches in it) all the group's rows
      // through the GIN indexes, sorted; see the top of this file. Read lazily: the index scan
      // stops at the limit-th match; no match in the first RECENT_PROBE rows gives up on the
      // window at once (a rare word, or none), and the first match ends that look; the fallback runs
      // only when the window fell short. A window that was all there is settles the last tier
      // without the fallback (PostgreSQL computes each of found's subqueries only when its OR needs it).
      const lastTier = tiers.length === 1;
      const hit = sql<SqlBool>`(${and([...(group.scanned ?? group.match), ...first.match])})`;
      const recent = sql`SELECT o.id, o.ctid AS tid, ${key} AS sort_key, ${hit} AS hit
        FROM objects o WHERE ${and([...conditions, ...firstAfterCursor])}
        ORDER BY ${key} ${keyOrder}, o.id ${keyOrder} LIMIT ${sql.lit(RECENT_WINDOW)}`;
      page = sql`${withClause([
        sql`recent AS MATERIALIZED (${recent})`,
        sql`probe AS MATERIALIZED (
          SELECT EXISTS (SELECT 1 FROM (SELECT hit FROM recent LIMIT ${sql.lit(RECENT_PROBE)}) first_rows WHERE hit) AS any_hit)`,
        sql`hits AS MATERIALIZED (
          SELECT id, tid, ${sql.lit(first.tier)}::int AS tier, sort_key FROM recent WHERE (SELECT any_hit FROM probe) AND hit LIMIT ${sql.lit(limit)})`,
        sql`found AS MATERIALIZED (
          SELECT (SELECT count(*) FROM hits) >= ${sql.lit(limit)}
              OR (${sql.lit(lastTier)} AND (
                (SELECT count(*) FROM (SELECT 1 FROM recent LIMIT ${sql.lit(RECENT_PROBE)}) first_rows) < ${sql.lit(RECENT_PROBE)}
                OR ((SELECT any_hit FROM probe) AND (SELECT count(*) FROM recent) < ${sql.lit(RECENT_WINDOW)}))) AS enough)`,
        sql`everything AS MATERIALIZED (
          SELECT o.id, o.ctid AS tid, ${tierOf} AS tier, ${key} AS sort_key FROM objects o
          WHERE NOT (SELECT enough FROM found) AND ${and([...conditions, ...group.match, ...pastCursor])})`,
      ])}
        SELECT id, tid, tier, sort_key FROM hits WHERE (SELECT enough FROM found)
        UNION ALL
        (SELECT id, tid, tier, sort_key FROM everything ORDER BY tier ${tierDirection}, sort_key ${keyOrder}, id ${keyOrder} LIMIT ${sql.lit(limit)})`;
    }
    const { rows } = await sql<PageRow>`
      SELECT o.id, page.tier, ${cursorText} AS cursor_key,
             o.name_kk, o.name_ru, o.short_name_kk, o.short_name_ru, o.kind, o.class, o.stage, o.step,
             o.review_status, o.account_code, o.updated_at,
             g.id AS organization_id, g.bin AS organization_bin, g.name_kk AS organization_name_kk,
             g.name_ru AS organization_name_ru, g.name_en AS organization_name_en,
             ${overdueFlag(today)} AS overdue
      FROM (${page}) AS page
      -- A TID (windowed pages) was read by this statement's own snapshot: it names the same row version.
      JOIN objects o ON ${joinBack}
      JOIN organizations g ON g.id = o.organization_id
      ORDER BY page.tier ${tierDirection}, page.sort_key ${keyOrder}, page.id ${keyOrder}`.execute(db);
    return rows;
  };

  let groups: TierGroup[];
  if (sort === 'relevance' && text) {
    // Full-text matches (in a name, else in the purpose) come before part-of-word matches.
    const fullText: TierGroup = {
      match: [text.fullText],
      tierOf: sql<number>`CASE WHEN ${text.inName} THEN ${sql.lit(TIER_NAME)} ELSE ${sql.lit(TIER_PURPOSE)} END`,
      tiers: [
        { tier: TIER_NAME, match: [text.inName] },
        { tier: TIER_PURPOSE, match: [sql<SqlBool>`NOT ${text.inName}`] },
      ],
    };
    const partOfWord: TierGroup | null = text.partOfWord
      ? {
          match: [text.partOfWord.indexed, sql<SqlBool>`NOT ${text.fullText}`],
          scanned: [text.partOfWord.scanned, sql<SqlBool>`NOT ${text.fullText}`],
          tierOf: sql<number>`0`,
          tiers: [{ tier: TIER_PART_OF_WORD, match: [] }],
        }
      : null;
    groups = [fullText, ...(partOfWord ? [partOfWord] : [])];
    if (direction === 'previous') groups.reverse();
  } else {
    const either = (partOfWord: RawBuilder<SqlBool>) => (text ? [sql<SqlBool>`(${text.fullText} OR ${partOfWord})`] : []);
    const match = text ? (text.partOfWord ? either(text.partOfWord.indexed) : [text.fullText]) : [];
    const scanned = text?.partOfWord ? either(text.partOfWord.scanned) : match;
    groups = [{ match, scanned, tierOf: sql<number>`0`, tiers: [{ tier: 0, match: [] }] }];
  }
  // One group at a time, the next only when the page is not full yet. What a later group still
  // needs is asked for rounded up to a power of two (at most the page), so its statement has a few
  // texts to keep plans for rather than one per count (see "Plans" above).
  const rows: PageRow[] = [];
  for (const group of groups) {
    const needed = query.limit + 1 - rows.length;
    const asked = Math.min(query.limit + 1, 2 ** Math.ceil(Math.log2(needed)));
    rows.push(...(await readGroup(group, asked)).slice(0, needed));
    if (rows.length > query.limit) break;
  }

  return rows.map((row) => ({ item: toItem(row), tier: row.tier, cursorKey: row.cursor_key }));
}

function toItem(row: PageRow): RegistryItem {
  return {
    id: row.id,
    nameKk: row.name_kk,
    nameRu: row.name_ru,
    shortNameKk: row.short_name_kk,
    shortNameRu: row.short_name_ru,
    organization: {
      id: row.organization_id,
      bin: row.organization_bin,
      nameKk: row.organization_name_kk,
      nameRu: row.organization_name_ru,
      nameEn: row.organization_name_en,
    },
    kind: row.kind,
    class: row.class,
    stage: row.stage,
    step: row.step,
    reviewStatus: row.review_status,
    accountCode: row.account_code,
    updatedAt: row.updated_at,
    overdue: row.overdue,
  };
}

/** The organization's name in `language` (Russian when it has no English name); null when there is none with this id. */
export async function findOrganizationName(db: Executor, id: string, language: Language): Promise<RegistryOrganization | null> {
  const name = language === 'kk' ? sql<string>`name_kk` : language === 'ru' ? sql<string>`name_ru` : sql<string>`coalesce(name_en, name_ru)`;
  const row = await db.selectFrom('organizations').select(['id', name.as('name')]).where('id', '=', id).executeTakeFirst();
  return row ?? null;
}
