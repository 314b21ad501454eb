import type { PageOf } from '../contract/index.js';

/** One page of a list with cursor pagination, as the wire has it: the cursor is the last item's id. */
export type Page<T> = PageOf<T>;

export type PageRequest = { limit?: number | undefined; cursor?: string | undefined };

export const DEFAULT_PAGE_SIZE = 50;

/** The `limit + 1` to ask the store for: the extra row only tells that another page exists. */
export function rowsToFetch(request: PageRequest): number {
  return (request.limit ?? DEFAULT_PAGE_SIZE) + 1;
}

/** Cuts the rows a query was asked for (`rowsToFetch`) into a page, so the last page never ends with an empty request. */
export function pageOf<T>(rows: T[], request: PageRequest, cursorOf: (row: T) => string): Page<T> {
  const limit = request.limit ?? DEFAULT_PAGE_SIZE;
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, next_cursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

export function mapPage<T, U>(page: Page<T>, view: (item: T) => U): Page<U> {
  return { data: page.data.map(view), next_cursor: page.next_cursor };
}
