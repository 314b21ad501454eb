import { InvalidToken, Unauthenticated } from '../core/errors.js';
import type { Caller, RequestMeta } from './access.js';
import type { ServiceContext } from './context.js';
import { noteRejectedUse } from './rejections.js';
import { sessionUser } from './sessions.js';
import { verifyToken } from './verification.js';

/** A token as a request presented it. */
export type PresentedToken = { secret: string; header: 'authorization' | 'x-api-key' };

/**
 * Who a presented token acts as: its owner, active now, with the token's effective scopes. The
 * verify path judges the token (status, the owner's membership, the org's X-API-Key policy, the
 * client address); a refused use of a known token is audited.
 */
export async function authenticateToken(ctx: ServiceContext, presented: PresentedToken, meta: RequestMeta): Promise<Caller> {
  const result = await verifyToken(ctx, { secret: presented.secret, ip: meta.ip, viaXApiKey: presented.header === 'x-api-key' });
  if (!result.valid) {
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
    },
    meta,
  };
}

/** Who a portal session belongs to; the CSRF check of state-changing requests is the HTTP layer's. */
export async function authenticateSession(ctx: ServiceContext, sessionSecret: string, meta: RequestMeta): Promise<Caller> {
  const user = await sessionUser(ctx, sessionSecret);
  if (!user) throw new Unauthenticated('Your session has ended; sign in again.');
  return { user, token: null, meta };
}
