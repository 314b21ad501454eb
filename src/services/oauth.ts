import type { Introspection } from '../contract/index.js';
import { Conflict } from '../core/errors.js';
import { effectiveEnd } from '../core/token-status.js';
import { findTokenById } from '../store/tokens.js';
import type { RequestMeta } from './access.js';
import type { ServiceContext } from './context.js';
import { applyTransition } from './tokens/transitions.js';
import { verifyToken } from './verification.js';

const INACTIVE: Introspection = Object.freeze({ active: false });
const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * RFC 7662 introspection for a resource server (the verifier, authenticated by the route): the
 * facts of a token in force, and exactly `{"active": false}` for anything else, so a caller learns
 * nothing about tokens that do not work. It counts as a use of the token, but it describes the token
 * rather than spending it: it neither spends nor enforces rate limits and credits (`active` says
 * whether the token is in force, RFC 7662 §2.2), so a limited token at its limit is still active.
 */
export async function introspect(ctx: ServiceContext, secret: string): Promise<Introspection> {
  const result = await verifyToken(ctx, { secret, enforceLimits: false });
  if (!result.valid) return INACTIVE;
  const { token, effectiveScopes } = result.record;
  const end = effectiveEnd(token);
  return {
    active: true,
    scope: effectiveScopes.join(' '),
    client_id: token.id,
    sub: token.ownerId,
    ...(end !== null ? { exp: seconds(end) } : {}),
    iat: seconds(token.createdAt),
    token_type: 'Bearer',
    iss: ctx.config.publicUrl,
  };
}

/**
 * RFC 7009 revocation by possession: whoever holds a token may revoke it (a leaked token's finder,
 * a client shutting down). Unknown, malformed and already revoked tokens change nothing and are
 * not an error (§2.2), so the answer tells nothing about the token either way.
 */
export async function revokeByPossession(ctx: ServiceContext, secret: string, meta: RequestMeta): Promise<void> {
  const known = (await verifyToken(ctx, { secret, recordUse: false })).record;
  if (!known) return;
  const now = ctx.clock.now();
  const actor = { type: 'token' as const, id: known.token.id, impersonatorId: null, meta };
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const token = await findTokenById(trx, known.token.orgId, known.token.id);
      if (token) await applyTransition(trx, actor, token, { type: 'revoke', reason: 'manual' }, now, { via: 'oauth_revocation' });
    });
  } catch (error) {
    if (!(error instanceof Conflict)) throw error;
  }
  ctx.invalidate.token(known.token.id);
}
