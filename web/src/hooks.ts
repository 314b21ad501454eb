import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, listAll, orgPath } from './api.js';
import { useSession } from './session.js';
import type { Membership, Page } from './types.js';

export type Resource<T> = {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
};

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, 'error', error instanceof Error ? error.message : 'Something went wrong.', null);
}

/** Loads data for a page and reloads it when `deps` change or `reload()` is called. */
export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let stale = false;
    setLoading(true);
    loadRef.current().then(
      (value) => {
        if (stale) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (stale) return;
        setError(asApiError(failure));
        setLoading(false);
      },
    );
    return () => {
      stale = true;
    };
    // The caller lists what the load depends on; the latest `load` is read through the ref.
  }, [...deps, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}

/** Runs one user action at a time and keeps its error for display next to the form. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(async <T>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (failure) {
      setError(asApiError(failure));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}

/** A cursor-paginated list: the first page, then "Load more" appends the next. */
export function usePagedList<T>(path: string) {
  const [extra, setExtra] = useState<{ items: T[]; cursor: string | null } | null>(null);
  const first = useResource(async () => {
    setExtra(null);
    return api.get<Page<T>>(path);
  }, [path]);
  const more = useAction();
  const cursor = extra ? extra.cursor : (first.data?.next_cursor ?? null);
  const items = first.data ? [...first.data.data, ...(extra?.items ?? [])] : undefined;

  const loadMore = async () => {
    if (!cursor) return;
    const separator = path.includes('?') ? '&' : '?';
    const page = await more.run(() => api.get<Page<T>>(`${path}${separator}cursor=${encodeURIComponent(cursor)}`));
    if (page) setExtra({ items: [...(extra?.items ?? []), ...page.data], cursor: page.next_cursor });
  };

  return { items, error: first.error ?? more.error, loading: first.loading, reload: first.reload, hasMore: cursor !== null, loadMore, loadingMore: more.busy };
}

/**
 * Reloads when the person comes back to the window, e.g. after running a script with a token in
 * a terminal, so "Last used" and statuses are current without a manual reload.
 */
export function useReloadOnReturn(reload: () => void): void {
  useEffect(() => {
    window.addEventListener('focus', reload);
    return () => window.removeEventListener('focus', reload);
  }, [reload]);
}

/**
 * The org's members and service accounts, with their names by id so pages show people rather
 * than ids. Listing members needs a management permission; without one the list is empty. The
 * names include the signed-in person's: a site admin acts in orgs they are not a member of.
 */
export function useMembers(orgId: string, allowed: boolean) {
  const { me } = useSession();
  const members = useResource(() => (allowed ? listAll<Membership>(orgPath(orgId, '/members')) : Promise.resolve([])), [orgId, allowed]);
  const names = useMemo(
    () => new Map([[me.user.id, me.user.name], ...(members.data ?? []).map((m): [string, string] => [m.user.id, m.user.name])]),
    [me.user, members.data],
  );
  return { ...members, names };
}
