import { VerifierUnavailable, type Verifier } from './verifier.js';
import { rateLimitHeaders } from './rate-limit-headers.js';
import type { Problem, VerifyAnswer } from './wire.js';

/** What a protected route learns about the caller's token. */
export type TokenFacts = { id: string; org_id: string; subject: string; scopes: string[] };

export type RequireTokenOptions = {
  /** All of these must be held. */
  scopes?: string[];
  /** What a request costs against the token's usage limits. */
  cost?: number;
  /** The realm of the RFC 6750 challenge. Default `keyward`. */
  realm?: string;
  /** Whether to accept `X-API-Key` beside `Authorization: Bearer`. Default true. */
  acceptApiKey?: boolean;
};

/** A refusal, framework-free: the status, the headers and the problem+json body to send. */
export type Refusal = { status: number; headers: Record<string, string>; body: Problem };

/** `headers` go on the protected route's response: a limited token's RateLimit fields. */
export type Decision = { ok: true; token: TokenFacts; headers: Record<string, string> } | { ok: false; refusal: Refusal };

/** The request parts the decision needs, as each framework gives them. */
export type PresentedRequest = {
  /** Name, value, name, value… as Node's `rawHeaders`. */
  rawHeaders: readonly string[];
  /** The request target, path and query. */
  url: string;
  ip: string | undefined;
};

const PROBLEM_BASE = 'https://keyward.dev/problems/';

const WHY: Partial<Record<VerifyAnswer['code'], string>> = {
  MALFORMED: 'The token is malformed.',
  NOT_FOUND: 'The token is not valid.',
  EXPIRED: 'The token has expired.',
  REVOKED: 'The token was revoked.',
  DISABLED: 'The token is disabled.',
  IP_NOT_ALLOWED: 'The token may not be used from this address.',
};

export type Credential = { kind: 'none' } | { kind: 'token'; token: string; header: 'authorization' | 'x-api-key' } | { kind: 'invalid'; reason: string };

const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

/**
 * The one token a request presents (DESIGN §3), read from the raw headers because Node joins
 * duplicates: `Authorization: Bearer` (scheme case-insensitive) or `X-API-Key`. Two
 * `Authorization` headers, or both headers with different values, are an invalid request; another
 * scheme counts as no credential (RFC 6750 §3.1). A token in the query string is never accepted:
 * alone it is no credential, beside a header an invalid request. Keyward's own parser answers the
 * same for every input (the server's test suite checks it).
 */
export function readCredential(rawHeaders: readonly string[], options: { acceptApiKey?: boolean; queryToken?: boolean } = {}): Credential {
  let authorization: string | undefined;
  let apiKey: string | undefined;
  let authorizations = 0;
  let apiKeys = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name === 'authorization') {
      authorizations++;
      authorization ??= rawHeaders[i + 1]!;
    } else if (name === 'x-api-key' && options.acceptApiKey !== false) {
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
    else if (/^bearer(\s|$)/i.test(authorization)) return { kind: 'invalid', reason: 'The Authorization header must be "Bearer <token>".' };
  }
  if (apiKey === '') return { kind: 'invalid', reason: 'The X-API-Key header is empty.' };
  if (bearer !== null && apiKey !== undefined && apiKey !== bearer) {
    return { kind: 'invalid', reason: 'Present one credential: Authorization and X-API-Key differ.' };
  }
  const presented: Credential =
    bearer !== null ? { kind: 'token', token: bearer, header: 'authorization' } : apiKey !== undefined ? { kind: 'token', token: apiKey, header: 'x-api-key' } : { kind: 'none' };
  if (options.queryToken && presented.kind === 'token') return { kind: 'invalid', reason: 'Present the token in one place: a header, not also the query string.' };
  return presented;
}

/** Whether a request URL carries `access_token` in its query string. */
export function hasQueryToken(url: string): boolean {
  const query = url.indexOf('?');
  return query >= 0 && new URLSearchParams(url.slice(query + 1)).has('access_token');
}

/** Decides a request: the token's facts, or the refusal to answer with (401, 403, 429, 400, 503). */
export async function decide(verifier: Verifier, request: PresentedRequest, options: RequireTokenOptions): Promise<Decision> {
  const realm = options.realm ?? 'keyward';
  const credential = readCredential(request.rawHeaders, { acceptApiKey: options.acceptApiKey, queryToken: hasQueryToken(request.url) });
  const path = request.url.split('?')[0] ?? '/';
  const refuse = (status: number, code: string, detail: string, challenge: string | null, extra: Record<string, string> = {}): Decision => ({
    ok: false,
    refusal: {
      status,
      headers: { ...(challenge ? { 'www-authenticate': challenge } : {}), 'cache-control': 'no-store', ...extra },
      body: { type: PROBLEM_BASE + code, title: TITLES[status] ?? 'Error', status, code, detail, instance: path },
    },
  });
  if (credential.kind === 'none') return refuse(401, 'unauthenticated', 'A token is required.', `Bearer realm="${realm}"`);
  if (credential.kind === 'invalid') {
    return refuse(400, 'invalid_request', credential.reason, `Bearer realm="${realm}", error="invalid_request", error_description="${credential.reason}"`);
  }
  let answer: VerifyAnswer;
  try {
    answer = await verifier.verify(credential.token, {
      ...(options.scopes ? { scopes: options.scopes } : {}),
      ...(request.ip ? { ip: request.ip } : {}),
      ...(options.cost !== undefined ? { cost: options.cost } : {}),
      ...(credential.header === 'x-api-key' ? { header: credential.header } : {}),
    });
  } catch (error) {
    if (!(error instanceof VerifierUnavailable)) throw error;
    return refuse(503, 'verifier_unavailable', 'Tokens cannot be checked right now.', null, { 'retry-after': '1' });
  }
  if (answer.valid && answer.token) {
    const { id, org_id, owner, scopes } = answer.token;
    return { ok: true, token: { id, org_id, subject: owner.id, scopes }, headers: rateLimitHeaders(answer.rate_limits) };
  }
  switch (answer.code) {
    case 'INSUFFICIENT_SCOPE': {
      const scope = (answer.missing_scopes ?? options.scopes ?? []).join(' ');
      return refuse(403, 'insufficient_scope', `The token lacks the scope ${scope}.`, `Bearer realm="${realm}", error="insufficient_scope", scope="${scope}"`);
    }
    case 'RATE_LIMITED':
    case 'USAGE_EXCEEDED':
      // No Retry-After for credits that no refill brings back: waiting would not help.
      return refuse(
        429,
        answer.code === 'RATE_LIMITED' ? 'rate_limited' : 'usage_exceeded',
        answer.code === 'RATE_LIMITED' ? 'The token is over its rate limit.' : 'The token has no usage credits left.',
        null,
        { ...(answer.retry_after_seconds !== undefined ? { 'retry-after': String(answer.retry_after_seconds) } : {}), ...rateLimitHeaders(answer.rate_limits) },
      );
    default: {
      const detail = WHY[answer.code] ?? 'The token is not valid.';
      return refuse(401, 'invalid_token', detail, `Bearer realm="${realm}", error="invalid_token", error_description="${detail}"`);
    }
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

