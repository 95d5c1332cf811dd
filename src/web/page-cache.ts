import { LRUCache } from 'lru-cache';
import type { Fragment } from './plugins/views.plugin.ts';

/**
 * Rendered page bodies kept in memory, by a key that names everything they were rendered from.
 *
 * A key must change whenever the page would: callers build it from stamps that the database moves
 * in the same transaction as any change to the page's data (see the object_page_stamps migration),
 * the language, the viewer's role (what it may do decides which forms the body holds) and the
 * Almaty day (deadlines turn due and overdue at midnight). A cached body holds nothing of the
 * person viewing it: it is rendered without the user and with a placeholder for the CSRF token,
 * which each response fills with its own (src/web/plugins/views.plugin.ts).
 *
 * Bounded by size (least recently used go first). A key is read before the data it stands for,
 * so a page rendered while a change commits is kept under the older stamp and never served again.
 */
export interface CachedPage {
  readonly title: string;
  readonly body: Fragment;
}

export interface PageCache {
  get(key: string): CachedPage | undefined;
  set(key: string, page: CachedPage): void;
  /** Pages held and their size in bytes (for the bench and the status page). */
  stats(): { pages: number; bytes: number; hits: number; misses: number };
}

export function createPageCache(maxBytes: number): PageCache {
  let hits = 0;
  let misses = 0;
  if (maxBytes <= 0) {
    return {
      get: () => {
        misses += 1;
        return undefined;
      },
      set: () => undefined,
      stats: () => ({ pages: 0, bytes: 0, hits, misses }),
    };
  }
  const cache = new LRUCache<string, CachedPage>({
    maxSize: maxBytes,
    // The body's bytes, and the title and the key as V8 may hold them (two bytes a character).
    sizeCalculation: (page, key) => Math.max(1, page.body.bytes + 2 * (page.title.length + key.length)),
  });
  return {
    get(key) {
      const page = cache.get(key);
      if (page) hits += 1;
      else misses += 1;
      return page;
    },
    set(key, page) {
      cache.set(key, page);
    },
    stats: () => ({ pages: cache.size, bytes: cache.calculatedSize, hits, misses }),
  };
}
