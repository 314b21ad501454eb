import type { FastifyReply } from 'fastify';
import type { LimitStatus } from '../core/limit-status.js';

/**
 * The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy` names each
 * limit's quota and window, `RateLimit` what is left of it and when room frees up, e.g.
 * `RateLimit-Policy: "burst";q=100;w=60` and `RateLimit: "burst";r=42;t=17`. Names are already
 * restricted to characters a structured-field string holds as they are.
 */
export function rateLimitHeaders(limits: readonly LimitStatus[]): Record<string, string> {
  if (limits.length === 0) return {};
  return {
    'ratelimit-policy': limits.map((l) => `"${l.name}";q=${l.limit};w=${l.window_seconds}`).join(', '),
    ratelimit: limits.map((l) => `"${l.name}";r=${l.remaining};t=${l.reset_seconds}`).join(', '),
  };
}

export function setRateLimitHeaders(reply: FastifyReply, limits: readonly LimitStatus[] | undefined): void {
  if (limits && limits.length > 0) reply.headers(rateLimitHeaders(limits));
}
