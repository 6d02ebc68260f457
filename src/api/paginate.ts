/**
 * Walks TokPortal's page-number lists (docs/tokportal-api.md §2: `page`, `per_page` ≤ 100, and a
 * `pagination{page, per_page, total, total_pages}` block) as one async stream of items.
 *
 * It stops at `total_pages`, on an empty page, or on a short page when the server sent no page count, and
 * it refuses to go past `maxPages`: a server that keeps answering must not keep us looping. Offset pages
 * shift when items are created meanwhile, so with `key` an item already yielded is not yielded again.
 */
import { TokPortalError } from "./errors.ts";

export interface PageOf<T> {
  items: T[];
  /** `pagination.total_pages`, or null when the response had no pagination block. */
  totalPages: number | null;
}

export interface PaginateOptions<T> {
  perPage?: number;
  maxPages?: number;
  /** Identity of an item, to skip one seen on an earlier page. */
  key?: (item: T) => string;
  operationId?: string;
}

export const MAX_PER_PAGE = 100;

export async function* paginate<T>(
  fetchPage: (page: number, perPage: number) => Promise<PageOf<T>>,
  options: PaginateOptions<T> = {},
): AsyncGenerator<T, void, undefined> {
  const perPage = Math.min(MAX_PER_PAGE, Math.max(1, options.perPage ?? MAX_PER_PAGE));
  const maxPages = options.maxPages ?? 10_000;
  const seen = options.key ? new Set<string>() : null;
  for (let page = 1; ; page++) {
    if (page > maxPages)
      throw new TokPortalError({
        kind: "response",
        status: null,
        code: "PAGINATION_LIMIT",
        message: `${options.operationId ?? "list"}: still more pages after ${maxPages}; refusing to continue`,
        operationId: options.operationId ?? "list",
        retryable: false,
      });
    const { items, totalPages } = await fetchPage(page, perPage);
    for (const item of items) {
      if (seen && options.key) {
        const k = options.key(item);
        if (seen.has(k)) continue;
        seen.add(k);
      }
      yield item;
    }
    if (items.length === 0) return;
    if (totalPages !== null ? page >= totalPages : items.length < perPage) return;
  }
}
