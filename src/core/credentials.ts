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
  const authorization: string[] = [];
  const apiKeys: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name === 'authorization') authorization.push(rawHeaders[i + 1]!);
    else if (name === 'x-api-key') apiKeys.push(rawHeaders[i + 1]!.trim());
  }
  if (authorization.length > 1) return { kind: 'invalid', reason: 'Send one Authorization header, not several.' };
  if (apiKeys.length > 1) return { kind: 'invalid', reason: 'Send one X-API-Key header, not several.' };

  let bearer: string | null = null;
  const header = authorization[0];
  if (header !== undefined) {
    if (/^bearer(\s|$)/i.test(header)) {
      const match = BEARER.exec(header);
      if (!match) return { kind: 'invalid', reason: 'The Authorization header must be "Bearer <token>".' };
      bearer = match[1]!;
    }
  }
  const apiKey = apiKeys[0];
  if (apiKey !== undefined && apiKey === '') return { kind: 'invalid', reason: 'The X-API-Key header is empty.' };
  if (bearer !== null && apiKey !== undefined && apiKey !== bearer) {
    return { kind: 'invalid', reason: 'Present one credential: Authorization and X-API-Key differ.' };
  }
  if (bearer !== null) return { kind: 'bearer', token: bearer };
  if (apiKey !== undefined) return { kind: 'x-api-key', token: apiKey };
  return { kind: 'none' };
}
