import { createHash } from 'node:crypto';
import { newId } from '../../core/ids.js';
import type { Token } from '../../core/model.js';
import { creditPeriod, hasUsageControls, type RateLimit, type UsageLimit } from '../../core/usage-limits.js';
import { generateApiKey, secretHint } from '../../core/token-format.js';
import { digestSecret } from '../../core/token-hash.js';
import type { ServiceContext } from '../context.js';

/** Everything a new token needs besides what `prepareToken` generates. */
export type TokenSpec = Pick<
  Token,
  'orgId' | 'ownerId' | 'createdBy' | 'impersonation' | 'name' | 'description' | 'scopes' | 'kind' | 'ipAllowlist' | 'expiresAt' | 'rotatedFrom'
> & { limits: TokenLimits };

/**
 * A new token's usage controls: its own, or those of a token it shares them with (a rotation's
 * predecessor, or the limited token that made it), counters included, so neither a rotation nor a
 * token-made token gets more than the original.
 */
export type TokenLimits = { rateLimits: RateLimit[]; usageLimit: UsageLimit | null } | { sharedWith: Token };

type LimitFields = Pick<Token, 'rateLimits' | 'limitKey' | 'usageRemaining' | 'usageRefill' | 'usagePeriod' | 'usageVersion'>;

/** The usage controls, and the counters' key, a token hands on to one that shares them. */
export function sharedLimitFields(token: Token): LimitFields {
  const { rateLimits, limitKey, usageRemaining, usageRefill, usagePeriod, usageVersion } = token;
  return { rateLimits, limitKey, usageRemaining, usageRefill, usagePeriod, usageVersion };
}

function limitFields(limits: TokenLimits, id: string, nowMs: number): LimitFields {
  if ('sharedWith' in limits) return sharedLimitFields(limits.sharedWith);
  const { usageLimit } = limits;
  const refill = usageLimit?.refill ?? null;
  return {
    rateLimits: limits.rateLimits,
    limitKey: id,
    usageRemaining: usageLimit?.remaining ?? null,
    usageRefill: usageLimit ? refill : null,
    usagePeriod: usageLimit ? creditPeriod(refill, nowMs) : null,
    usageVersion: 0,
  };
}

/** A token to store and its secret, which is shown once and never stored. */
export type PreparedToken = { token: Token; secret: string };

/**
 * Generates the secret (an API key, or a signed JWT) and the token to store with only its digest.
 * Done before the transaction that stores it opens, so no query waits behind the signing.
 */
export async function prepareToken(ctx: ServiceContext, spec: TokenSpec, nowMs: number): Promise<PreparedToken> {
  const id = newId('tok', nowMs);
  const { limits, ...fields } = spec;
  const limited = limitFields(limits, id, nowMs);
  const secret =
    spec.kind === 'jwt'
      ? await ctx.jwtKeys.sign({
          sub: spec.ownerId,
          org: spec.orgId,
          scope: spec.scopes.join(' '),
          jti: id,
          iat: Math.floor(nowMs / 1000),
          ...(spec.expiresAt !== null ? { exp: Math.floor(spec.expiresAt / 1000) } : {}),
          // RFC 8693: the admin who acts on the member's behalf.
          ...(spec.impersonation ? { act: { sub: spec.createdBy } } : {}),
          ...(spec.ipAllowlist.length > 0 ? { ip_restricted: true as const } : {}),
          // Counted only online: resource servers must not verify it offline.
          ...(hasUsageControls(limited) ? { limited: true as const } : {}),
        })
      : generateApiKey(ctx.config.tokenPrefix);
  const token: Token = {
    ...fields,
    ...limited,
    id,
    recentIps: [],
    digest: digestSecret(ctx.pepper, secret),
    hint: secretHint(secret),
    createdAt: nowMs,
    lastUsedAt: null,
    lastUsedIp: null,
    revokedAt: null,
    revokedReason: null,
    disabledAt: null,
    disabledReason: null,
    replacedBy: null,
    expiringNotifiedAt: null,
    expiredNotifiedAt: null,
  };
  return { token, secret };
}

/** The SHA-256 of a secret (GitHub's `hashed_token`): lets an audit trail be matched to a leak. */
export function hashedToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
