/**
 * The registry list (issue "The registry"): search over the objects' names and purpose in Russian
 * and Kazakh, filters, sorting, keyset pagination, and the CSV export of the same filter.
 *
 * How a text matches, how relevance ranks and how a page is read so that PostgreSQL keeps its
 * plans: registry.repository.ts, which holds the registry's SQL. Here: who may read what, the
 * checks of the filters, the keyset cursors and the CSV file.
 */
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Language } from '../../config.ts';
import type { Database } from '../../db/database.ts';
import { UUID } from '../../db/uuid.ts';
import { AppError } from '../../errors.ts';
import { translator } from '../../web/i18n.ts';
import { type AuthUser, requirePermission } from '../../access/permissions.ts';
import { toAlmatyDate } from '../calendar/working-days.ts';
import { LIFECYCLE_STAGES, type LifecycleStage } from '../objects/lifecycle.ts';
import { OBJECT_KINDS, type ObjectClass, type ObjectKind } from '../objects/passport.ts';
import { findOrganizationName, findRegistryRows, type RegistryPosition, type RegistryRow, TIER_NAME, TIER_PART_OF_WORD, TIER_PURPOSE } from './registry.repository.ts';

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

type Direction = RegistryPosition['direction'];

interface Cursor extends RegistryPosition {
  /** The sort the cursor belongs to. */
  sort: RegistrySort;
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
  const rows = await findRegistryRows(db, {
    organizationId: options.organizationId,
    kind: options.kind,
    class: options.class,
    stage: options.stage,
    reviewStatus: options.reviewStatus,
    overdue: options.overdue,
    staffOrganizationId: actor.role === 'staff' ? actor.organizationId : null,
    q,
    owner: normalizeQuery(options.owner),
    sort,
    language: options.language,
    today,
    position: cursor,
    limit: options.limit,
  });

  const more = rows.length > options.limit;
  const taken = rows.slice(0, options.limit);
  if (direction === 'previous') taken.reverse();
  const at = (row: RegistryRow | undefined, toward: Direction) =>
    row ? encodeCursor({ sort, direction: toward, tier: row.tier, key: row.cursorKey, id: row.item.id }) : null;
  return {
    items: taken.map((row) => row.item),
    // Going forward there is a page before whenever a cursor led here; going back, after.
    nextCursor: direction === 'next' ? (more ? at(taken.at(-1), 'next') : null) : at(taken.at(-1), 'next'),
    previousCursor: direction === 'previous' ? (more ? at(taken[0], 'previous') : null) : cursor ? at(taken[0], 'previous') : null,
    sort,
  };
}

/** The organization a list is narrowed to, for its heading; null when there is none the actor may see. */
export async function findRegistryOrganization(db: Kysely<Database>, actor: AuthUser | null | undefined, id: string, language: Language): Promise<RegistryOrganization | null> {
  authorize(actor);
  if (!UUID.test(id) || (actor.role === 'staff' && actor.organizationId !== id)) return null;
  return findOrganizationName(db, id, language);
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
