/** What a request presents to authenticate, read from its raw headers (DESIGN §3). */
export type PresentedCredential =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | { kind: 'x-api-key'; token: string }
  | { kind: 'invalid'; reason: string };

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

/**
 * Reads `Authorization: Bearer` (scheme case-insensitive) and `X-API-Key`. Raw headers are used
 * because Node joins duplicates: two `Authorization` headers, or both headers with different
 * values, are an invalid request. Another auth scheme counts as no credential (RFC 6750 §3.1).
 */
export function readCredential(rawHeaders: readonly string[]): PresentedCredential {
  let authorization: string | undefined;
  let apiKey: string | undefined;
  let authorizations = 0;
  let apiKeys = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // Only a name of the right length is lowercased: the other headers are skipped without a copy.
    if (name.length === 13 && name.toLowerCase() === 'authorization') {
      authorizations++;
      authorization ??= rawHeaders[i + 1]!;
    } else if (name.length === 9 && name.toLowerCase() === 'x-api-key') {
      apiKeys++;
      apiKey ??= rawHeaders[i + 1]!.trim();
    }
  }
  if (authorizations > 1) return { kind: 'invalid', reason: 'Send one Authorization header, not several.' };
  if (apiKeys > 1) return { kind: 'invalid', reason: 'Send one X-API-Key header, not several.' };

  let bearer: string | null = null;
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (match) bearer = match[1]!;
    else if (/^bearer(\s|$)/i.test(authorization)) {
      return { kind: 'invalid', reason: 'The Authorization header must be "Bearer <token>".' };
    }
  }
  if (apiKey !== undefined && apiKey === '') return { kind: 'invalid', reason: 'The X-API-Key header is empty.' };
  if (bearer !== null && apiKey !== undefined && apiKey !== bearer) {
    return { kind: 'invalid', reason: 'Present one credential: Authorization and X-API-Key differ.' };
  }
  if (bearer !== null) return { kind: 'bearer', token: bearer };
  if (apiKey !== undefined) return { kind: 'x-api-key', token: apiKey };
  return { kind: 'none' };
}

/** HTTP Basic client credentials (RFC 6749 §2.3.1: each part form-urlencoded, then base64). */
export type BasicCredential = { id: string; secret: string };

/** Reads `Authorization: Basic`; null when there is none, or it is not well formed, or there are two. */
export function readBasicCredential(rawHeaders: readonly string[]): BasicCredential | null {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'authorization') values.push(rawHeaders[i + 1]!);
  const match = values.length === 1 ? /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(values[0]!) : null;
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    return null;
  }
}

/** RFC 6750 §2.2/§2.3: the parameter a token would travel in outside the headers. */
export const ACCESS_TOKEN_PARAMETER = 'access_token';

/**
 * Whether a request target's query string carries one of `names` (by default `access_token`),
 * however its name is percent-encoded. Keyward never accepts a token there (it ends up in logs
 * and browser history, DESIGN §3); the caller decides what its presence means. Costs one
 * `indexOf` when there is no query string, as on the verify path.
 */
export function queryCarriesToken(target: string, names: readonly string[] = [ACCESS_TOKEN_PARAMETER]): boolean {
  const start = target.indexOf('?');
  if (start === -1) return false;
  const params = new URLSearchParams(target.slice(start + 1));
  return names.some((name) => params.has(name));
}

/** Whether a parsed body (JSON or form) carries `access_token` at its top level. */
export function bodyCarriesToken(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, ACCESS_TOKEN_PARAMETER);
}
