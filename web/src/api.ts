import type { Page } from './types.js';

/** An RFC 9457 problem from the API, or a network failure turned into one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    /** The body field the problem is about (e.g. `name`, `expires_at`), when the server says. */
    readonly field: string | null,
  ) {
    super(detail);
  }
}

/**
 * The CSRF cookie the server sets: `__Host-kw_csrf` behind TLS (the prefix keeps other subdomains
 * and plain-HTTP pages from planting it), `kw_csrf` otherwise. The prefixed one wins when both are
 * there, as the server only reads the prefixed session cookie then.
 */
const CSRF_COOKIES = ['__Host-kw_csrf', 'kw_csrf'];

function csrfToken(): string | null {
  const cookies = new Map<string, string>();
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name) cookies.set(name, rest.join('='));
  }
  for (const name of CSRF_COOKIES) {
    const value = cookies.get(name);
    if (value !== undefined) return decodeURIComponent(value);
  }
  return null;
}

/** Called when a request finds the session gone, so the app can show the sign-in page. */
let onSignedOut: () => void = () => {};
export function setSignedOutHandler(handler: () => void): void {
  onSignedOut = handler;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

async function problemFrom(response: Response): Promise<ApiError> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await response.json()) as { code?: unknown; detail?: unknown; field?: unknown };
      return new ApiError(
        response.status,
        typeof body.code === 'string' ? body.code : 'error',
        // Schema errors read "body/name must …": the field is named without where it sat in the request.
        typeof body.detail === 'string' ? body.detail.replace(/^(body|querystring|params)\//, '') : response.statusText,
        typeof body.field === 'string' ? body.field : null,
      );
    } catch {
      // fall through to the generic message
    }
  }
  return new ApiError(response.status, 'error', `The server answered ${response.status} ${response.statusText}.`, null);
}

/**
 * One call to the management API with the session cookie. State-changing requests carry the
 * CSRF header (the value of the kw_csrf cookie); errors are thrown as ApiError.
 */
export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const csrf = csrfToken();
    if (csrf) headers['x-csrf-token'] = csrf;
  }
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'Keyward could not be reached. Check your connection and try again.', null);
  }
  if (!response.ok) {
    const problem = await problemFrom(response);
    if (problem.status === 401 && path !== '/session') onSignedOut();
    throw problem;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: (path: string) => request<void>('DELETE', path),
};

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '' && value !== false) search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Every page of a list (for small lists such as members or roles). */
export async function listAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page: Page<T> = await api.get<Page<T>>(`${path}${separator}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

export function orgPath(orgId: string, rest = ''): string {
  return `/orgs/${encodeURIComponent(orgId)}${rest}`;
}
