import { addressKey } from '../core/client-address.js';
import { InvalidToken, RateLimited, Unauthenticated } from '../core/errors.js';
import type { Caller, RequestMeta } from './access.js';
import type { ServiceContext } from './context.js';
import { throttledError } from './limits/counters.js';
import { shareHit } from './limits/shared.js';
import { noteRejectedUse } from './rejections.js';
import { sessionUser } from './sessions.js';
import { verifyToken } from './verification.js';

/** A token as a request presented it. */
export type PresentedToken = { secret: string; header: 'authorization' | 'x-api-key' };

/**
 * Refuses a client address that failed to authenticate too often lately (`failedAuthByIp`), before
 * its credential is looked at: no digest, no read. One map lookup, no await, so the valid path
 * pays nothing measurable. Only failures are counted (`countFailedAuthentication`).
 */
export function refuseThrottledClient(ctx: ServiceContext, ip: string | null): void {
  const waitMs = ctx.limits.failedAuthByIp.blockedFor(ip ?? 'unknown', ctx.clock.now());
  if (waitMs > 0) throw new RateLimited(Math.ceil(waitMs / 1000), 'Too many failed authentications from this address; try again later.');
}

/**
 * Counts a presented credential that did not authenticate against its client address, here and,
 * in a cluster, in the count every process shares (`shareHit`): an address spreading its guesses
 * over the processes is refused once their total reaches the limit.
 */
export function countFailedAuthentication(ctx: ServiceContext, ip: string | null): void {
  const address = ip ?? 'unknown';
  const limiter = ctx.limits.failedAuthByIp;
  limiter.hit(address, ctx.clock.now());
  shareHit(ctx, `failed-auth:${addressKey(address)}`, limiter.windowMs, (total, now) => limiter.raise(address, total, now));
}

/**
 * Who a presented token acts as: its owner, active now, with the token's effective scopes. The
 * verify path judges the token (status, the owner's membership, the org's X-API-Key policy, the
 * client address); a refused use of a known token is audited, and every refusal counts against
 * the client address's failed-authentication limit.
 */
export async function authenticateToken(ctx: ServiceContext, presented: PresentedToken, meta: RequestMeta): Promise<Caller> {
  refuseThrottledClient(ctx, meta.ip);
  const result = await verifyToken(ctx, { secret: presented.secret, ip: meta.ip, viaXApiKey: presented.header === 'x-api-key' });
  // A good token its limits hold back is no failed authentication: 429, counted and audited by neither.
  if (!result.valid && result.usage) throw throttledError(result.usage);
  if (!result.valid) {
    countFailedAuthentication(ctx, meta.ip);
    if (result.record) noteRejectedUse(ctx, result.record.token, result.code, meta);
    throw new InvalidToken(result.reason);
  }
  const { token, effectiveScopes, owner } = result.record;
  // A valid record's owner is active: a status change drops the record before its response.
  if (!owner || owner.status !== 'active') throw new InvalidToken("The token's owner is not active.");
  return {
    user: owner,
    token: {
      id: token.id,
      orgId: token.orgId,
      scopes: new Set(effectiveScopes),
      impersonation: token.impersonation,
      createdBy: token.createdBy,
      ...(result.usage ? { limits: result.usage.rateLimits } : {}),
    },
    meta,
  };
}

/**
 * Who a portal session belongs to; the CSRF check of state-changing requests is the HTTP layer's.
 * A cookie that names no live session counts as a failed authentication like a bad token.
 */
export async function authenticateSession(ctx: ServiceContext, sessionSecret: string, meta: RequestMeta): Promise<Caller> {
  refuseThrottledClient(ctx, meta.ip);
  const user = await sessionUser(ctx, sessionSecret);
  if (!user) {
    countFailedAuthentication(ctx, meta.ip);
    throw new Unauthenticated('Your session has ended; sign in again.');
  }
  return { user, token: null, meta };
}
