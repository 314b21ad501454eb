import type { RateLimitStatus } from './wire.js';

/**
 * The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers) for a limited token, as Keyward's
 * own API sends them: `RateLimit-Policy: "burst";q=100;w=60` and `RateLimit: "burst";r=42;t=17`.
 * A copy of the server's (the SDK depends on no server code); the server's suite checks they agree.
 */
export function rateLimitHeaders(limits: readonly RateLimitStatus[] | undefined): Record<string, string> {
  if (!limits || limits.length === 0) return {};
  return {
    'ratelimit-policy': limits.map((l) => `"${l.name}";q=${l.limit};w=${l.window_seconds}`).join(', '),
    ratelimit: limits.map((l) => `"${l.name}";r=${l.remaining};t=${l.reset_seconds}`).join(', '),
  };
}
