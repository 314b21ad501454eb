/** One page of a list with cursor pagination (DESIGN §4): the cursor is the last item's id. */
export type Page<T> = { items: T[]; nextCursor: string | null };

export type PageRequest = { limit: number; cursor?: string | undefined };

/**
 * Cuts the `limit + 1` rows a query was asked for into a page: the extra row only tells that
 * another page exists, so the last page never ends with an empty request.
 */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
