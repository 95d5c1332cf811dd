/**
 * The registry list (issue "The registry"): search over the objects' names and purpose in Russian
 * and Kazakh, filters, sorting, keyset pagination, and the CSV export of the same filter.
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
import { Readable } from 'node:stream';
import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Language } from '../../config.ts';
import type { Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError } from '../../errors.ts';
import { translator } from '../../web/i18n.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { LIFECYCLE_STAGES, type LifecycleStage } from '../objects/lifecycle.ts';
import { OBJECT_KINDS, type ObjectClass, type ObjectKind } from '../objects/passport.ts';

export const REGISTRY_SORTS = ['relevance', 'name', 'updated'] as const;
export type RegistrySort = (typeof REGISTRY_SORTS)[number];

/**
 * Where the service integrator's review of an object stands (Workflow C): not yet submitted,
 * waiting for review, returned for completion, accepted with an account code. The column
 * (objects.review_status) starts as 'draft'; the review issue sets the others.
 */
export const REVIEW_STATUSES = ['draft', 'submitted', 'returned', 'accepted'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export const OBJECT_CLASSES = [1, 2, 3] as const satisfies readonly ObjectClass[];

/** Rows read in index order before a search falls back to its GIN indexes (see readGroup). */
export const RECENT_WINDOW = 2000;
/** The first rows of that window: none of them matching, the search falls back at once. */
export const RECENT_PROBE = 300;
/** Longest query text searched; the rest is cut off. */
export const MAX_QUERY_LENGTH = 200;
export const MAX_PAGE_SIZE = 200;
/** Rows per keyset page while exporting. */
const EXPORT_PAGE_SIZE = MAX_PAGE_SIZE;

export interface RegistryFilters {
  q?: string | undefined;
  organizationId?: string | undefined;
  /** Part of the owner's name (in any language), or its BIN. */
  owner?: string | undefined;
  kind?: ObjectKind | undefined;
  class?: ObjectClass | undefined;
  stage?: LifecycleStage | undefined;
  reviewStatus?: ReviewStatus | undefined;
  /** Only objects with an open update duty past its due day (003 §9). */
  overdue?: boolean | undefined;
  /** Relevance needs a query text; without one the list is sorted by 'updated'. */
  sort: RegistrySort;
}

export interface SearchOptions extends RegistryFilters {
  /** From a previous page's nextCursor or previousCursor. */
  cursor?: string | undefined;
  limit: number;
  /** Whose name 'name' sorts by: Kazakh names for 'kk', Russian otherwise (objects have no English name). */
  language?: Language | undefined;
  /** Today in Asia/Almaty, 'YYYY-MM-DD'; the clock's by default. */
  today?: string | undefined;
}

export interface RegistryItem {
  id: string;
  nameKk: string;
  nameRu: string;
  shortNameKk: string | null;
  shortNameRu: string | null;
  organization: { id: string; bin: string; nameKk: string; nameRu: string; nameEn: string | null };
  kind: string;
  class: number;
  stage: LifecycleStage;
  step: string | null;
  reviewStatus: string;
  accountCode: string | null;
  updatedAt: Date;
  /** An open update duty is past its due day. */
  overdue: boolean;
}

export interface RegistryPage {
  items: RegistryItem[];
  /** The page after this one, or null when this is the last. */
  nextCursor: string | null;
  /** The page before this one, or null when this is the first. */
  previousCursor: string | null;
  /** The sort applied: 'relevance' without a query text falls back to 'updated'. */
  sort: RegistrySort;
}

/** The organization a registry list is narrowed to, named in the reader's language (Russian when it has no English name). */
export interface RegistryOrganization {
  id: string;
  name: string;
}

// ---------------------------------------------------------------------------------------------
// Input

function invalid(message: string): AppError {
  return new AppError('BAD_REQUEST', message);
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The query text as searched: NFC (a letter typed as letter + combining mark matches), single spaces, lower case. */
export function normalizeQuery(raw: string | undefined): string {
  if (raw === undefined) return '';
  return raw.normalize('NFC').replace(/\s+/g, ' ').trim().slice(0, MAX_QUERY_LENGTH).trim().toLowerCase();
}

function checkFilters(filters: RegistryFilters): void {
  if (!(REGISTRY_SORTS as readonly string[]).includes(filters.sort)) throw invalid('unknown sort');
  if (filters.organizationId !== undefined && !UUID.test(filters.organizationId)) throw invalid('organizationId must be a UUID');
  if (filters.kind !== undefined && !(OBJECT_KINDS as readonly string[]).includes(filters.kind)) throw invalid('unknown kind');
  if (filters.class !== undefined && !(OBJECT_CLASSES as readonly number[]).includes(filters.class)) throw invalid('class must be 1, 2 or 3');
  if (filters.stage !== undefined && !(LIFECYCLE_STAGES as readonly string[]).includes(filters.stage)) throw invalid('unknown stage');
  if (filters.reviewStatus !== undefined && !(REVIEW_STATUSES as readonly string[]).includes(filters.reviewStatus)) throw invalid('unknown review status');
}

/** objects.read, and staff only ever within their own organization. */
function authorize(actor: AuthUser | null | undefined): asserts actor is AuthUser {
  requirePermission(actor, 'objects.read');
  if (actor.role === 'staff' && !actor.organizationId) throw new AppError('FORBIDDEN', 'staff without an organization');
}

// ---------------------------------------------------------------------------------------------
// Cursors

type Direction = 'next' | 'previous';

/** Relevance tiers, best first. */
const TIER_NAME = 2;
const TIER_PURPOSE = 1;
const TIER_PART_OF_WORD = 0;

interface Cursor {
  /** The sort the cursor belongs to. */
  sort: RegistrySort;
  direction: Direction;
  /** The relevance tier of the row to continue from (0 for the other sorts). */
  tier: number;
  /** The sort key of the row to continue from, as PostgreSQL prints it (exact, unlike a JS Date). */
  key: string;
  id: string;
}

const TIMESTAMP_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const CURSOR_KEY_PATTERN: Record<RegistrySort, RegExp> = {
  relevance: TIMESTAMP_KEY,
  name: /^[\s\S]{1,2000}$/,
  updated: TIMESTAMP_KEY,
};

function encodeCursor({ sort, direction, tier, key, id }: Cursor): string {
  return Buffer.from(JSON.stringify({ s: sort, d: direction === 'next' ? 'n' : 'p', t: tier, k: key, i: id })).toString('base64url');
}

function decodeCursor(raw: string, sort: RegistrySort): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid('malformed cursor');
  }
  const { s, d, t, k, i } = (parsed ?? {}) as Record<string, unknown>;
  // A cursor of another sort (the sort was changed with the cursor still in the address) cannot resume this order.
  if (
    s !== sort ||
    (d !== 'n' && d !== 'p') ||
    (t !== TIER_NAME && t !== TIER_PURPOSE && t !== TIER_PART_OF_WORD) ||
    typeof k !== 'string' ||
    !CURSOR_KEY_PATTERN[sort].test(k) ||
    typeof i !== 'string' ||
    !UUID.test(i)
  ) {
    throw invalid('malformed cursor');
  }
  return { sort, direction: d === 'n' ? 'next' : 'previous', tier: t, key: k, id: i };
}

// ---------------------------------------------------------------------------------------------
// Searching

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
 * One page of the registry for the actor. Staff see only their organization's objects: the
 * condition is part of every query, so no page and no cursor reaches past it.
 */
export async function searchObjects(db: Kysely<Database>, actor: AuthUser | null | undefined, options: SearchOptions): Promise<RegistryPage> {
  authorize(actor);
  checkFilters(options);
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > MAX_PAGE_SIZE) throw invalid(`limit must be 1..${MAX_PAGE_SIZE}`);
  const today = options.today ?? toAlmatyDate(new Date());
  if (!ISO_DAY.test(today)) throw invalid('today must be YYYY-MM-DD');

  const q = normalizeQuery(options.q);
  const sort: RegistrySort = options.sort === 'relevance' && q === '' ? 'updated' : options.sort;
  const cursor = options.cursor ? decodeCursor(options.cursor, sort) : null;
  const direction: Direction = cursor?.direction ?? 'next';
  // Names are read ascending, tiers and dates descending; going back reads the other way.
  const ascending = (sort === 'name') === (direction === 'next');
  const order = ascending ? 'asc' : 'desc';
  const beyond = ascending ? sql.raw('>') : sql.raw('<');

  const conditions: Expression<SqlBool>[] = [];
  if (actor.role === 'staff') conditions.push(sql<SqlBool>`o.organization_id = ${actor.organizationId}::uuid`);
  if (options.organizationId) conditions.push(sql<SqlBool>`o.organization_id = ${options.organizationId}::uuid`);
  const owner = normalizeQuery(options.owner);
  if (owner) {
    conditions.push(sql<SqlBool>`o.organization_id IN (
      SELECT g.id FROM organizations g
      WHERE g.bin = ${owner} OR strpos(lower(g.name_ru), ${owner}) > 0 OR strpos(lower(g.name_kk), ${owner}) > 0 OR strpos(lower(coalesce(g.name_en, '')), ${owner}) > 0)`);
  }
  // Values of closed lists (checked above) are written into the statement, as are the limits: see
  // "Plans" at the top of this file.
  if (options.kind) conditions.push(sql<SqlBool>`o.kind = ${sql.lit(options.kind)}`);
  if (options.class) conditions.push(sql<SqlBool>`o.class = ${sql.lit(options.class)}`);
  if (options.stage) conditions.push(sql<SqlBool>`o.stage = ${sql.lit(options.stage)}`);
  if (options.reviewStatus) conditions.push(sql<SqlBool>`o.review_status = ${sql.lit(options.reviewStatus)}`);
  if (options.overdue) conditions.push(overdueDuty(today));
  const text = q === '' ? null : textQuery(q);

  const key = sort === 'name' ? sql.ref(options.language === 'kk' ? 'o.name_kk' : 'o.name_ru') : sql.ref('o.updated_at');
  // Kazakh names have no (name_kk, id) index: a window in their order would sort the whole table
  // for every page, so their matches are left to the planner (a rare word's few rows, sorted).
  const windowed = !(sort === 'name' && options.language === 'kk');
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
    const needed = options.limit + 1 - rows.length;
    const asked = Math.min(options.limit + 1, 2 ** Math.ceil(Math.log2(needed)));
    rows.push(...(await readGroup(group, asked)).slice(0, needed));
    if (rows.length > options.limit) break;
  }

  const more = rows.length > options.limit;
  const taken = rows.slice(0, options.limit);
  if (direction === 'previous') taken.reverse();
  const at = (row: PageRow | undefined, toward: Direction) =>
    row ? encodeCursor({ sort, direction: toward, tier: row.tier, key: row.cursor_key, id: row.id }) : null;
  return {
    items: taken.map(toItem),
    // Going forward there is a page before whenever a cursor led here; going back, after.
    nextCursor: direction === 'next' ? (more ? at(taken.at(-1), 'next') : null) : at(taken.at(-1), 'next'),
    previousCursor: direction === 'previous' ? (more ? at(taken[0], 'previous') : null) : cursor ? at(taken[0], 'previous') : null,
    sort,
  };
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

/** The organization a list is narrowed to, for its heading; null when there is none the actor may see. */
export async function findRegistryOrganization(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string, language: Language): Promise<RegistryOrganization | null> {
  authorize(actor);
  if (!UUID.test(id) || (actor.role === 'staff' && actor.organizationId !== id)) return null;
  const name = language === 'kk' ? sql<string>`name_kk` : language === 'ru' ? sql<string>`name_ru` : sql<string>`coalesce(name_en, name_ru)`;
  const row = await db.selectFrom('organizations').select(['id', name.as('name')]).where('id', '=', id).executeTakeFirst();
  return row ?? null;
}

// ---------------------------------------------------------------------------------------------
// CSV export

/**
 * A cell as Excel and LibreOffice read it safely: a leading = + - @ (or tab, carriage return)
 * would make the text a formula, so it gets a leading apostrophe (OWASP "CSV injection"); every
 * cell is quoted (RFC 4180), so separators and line breaks inside stay in the cell.
 */
export function csvCell(value: string): string {
  const inert = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${inert.replaceAll('"', '""')}"`;
}

/**
 * Semicolons, not commas: Excel splits a double-clicked CSV with the list separator of Windows'
 * regional settings, which is ";" in the Kazakh and Russian settings (their decimal separator is
 * the comma). Lines end in CRLF as RFC 4180 says.
 */
export const CSV_SEPARATOR = ';';
/** Without the byte order mark Excel reads UTF-8 as the ANSI code page and shows Cyrillic as mojibake. */
export const CSV_BOM = '\uFEFF';
/** sv-SE writes YYYY-MM-DD HH:MM, which spreadsheets read as a date and time; made once, used per row. */
const CSV_TIME_FORMAT = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Almaty', dateStyle: 'short', timeStyle: 'short' });

/** The label of a review status (the objects module's); one not known here shows as stored rather than as a key. */
export function reviewStatusLabel(t: (key: string) => string, status: string): string {
  return (REVIEW_STATUSES as readonly string[]).includes(status) ? t(`objects.review_statuses.${status}`) : status;
}

function csvLine(cells: string[]): string {
  return `${cells.map(csvCell).join(CSV_SEPARATOR)}\r\n`;
}

function almatyMinute(value: Date): string {
  return CSV_TIME_FORMAT.format(value);
}

/**
 * Every object of the filter as CSV (UTF-8 with BOM, ";"-separated), in the filter's sort, with
 * headers and labels in the given language. The rows are read in keyset pages inside one
 * read-only REPEATABLE READ transaction, so the file is one consistent snapshot even while objects
 * change (an object updated meanwhile neither disappears nor appears twice). The checks run before
 * the stream is returned, so a refusal is an ordinary error, not a broken download.
 */
export function exportObjectsCsv(
  db: Kysely<Database>,
  actor: AuthUser | null | undefined,
  filters: RegistryFilters,
  options: { language: Language; today?: string },
): Readable {
  authorize(actor);
  checkFilters(filters);
  const t = translator(options.language);
  const today = options.today ?? toAlmatyDate(new Date());
  const header = ['id', 'account_code', 'name_kk', 'name_ru', 'owner', 'owner_bin', 'kind', 'class', 'stage', 'review_status', 'overdue', 'updated_at'].map(
    (column) => t(`registry.csv.${column}`),
  );
  const owner = (item: RegistryItem) =>
    options.language === 'kk' ? item.organization.nameKk : options.language === 'ru' ? item.organization.nameRu : (item.organization.nameEn ?? item.organization.nameRu);

  async function* lines(): AsyncGenerator<Buffer> {
    yield Buffer.from(CSV_BOM + csvLine(header), 'utf8');
    const trx = await db.startTransaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute();
    let committed = false;
    try {
      let cursor: string | null = null;
      do {
        const page: RegistryPage = await searchObjects(trx, actor, { ...filters, cursor: cursor ?? undefined, limit: EXPORT_PAGE_SIZE, language: options.language, today });
        const text = page.items
          .map((item) =>
            csvLine([
              item.id,
              item.accountCode ?? '',
              item.nameKk,
              item.nameRu,
              owner(item),
              item.organization.bin,
              t(`objects.kinds.${item.kind}`),
              String(item.class),
              t(`objects.stages.${item.stage}`),
              reviewStatusLabel(t, item.reviewStatus),
              item.overdue ? t('registry.csv.yes') : t('registry.csv.no'),
              almatyMinute(item.updatedAt),
            ]),
          )
          .join('');
        if (text) yield Buffer.from(text, 'utf8');
        cursor = page.nextCursor;
      } while (cursor);
      await trx.commit().execute();
      committed = true;
    } finally {
      // Also when the client went away mid-download: the stream ends the generator early.
      if (!committed) await trx.rollback().execute().catch(() => undefined);
    }
  }
  return Readable.from(lines(), { objectMode: false });
}
