import type { TokenView } from '../../contract/index.js';
import type { Org, Token, UserType } from '../../core/model.js';
import { iso, isoRequired } from '../../core/time.js';
import { effectiveEnd, isExpiringSoon, tokenStatus } from '../../core/token-status.js';
import { creditPeriod, creditsAt, storedCredits, type RecentIp } from '../../core/usage-limits.js';
import { userTypes } from '../../store/users.js';
import type { ServiceContext } from '../context.js';
import type { Usage } from '../usage.js';

export function tokenView(
  token: Token,
  options: {
    nowMs: number;
    warningWindowDays: number;
    ownerType: UserType;
    pendingUsage?: Usage | undefined;
    liveCredits?: number | undefined;
    /** The stored recent addresses with the unflushed ones merged in; the stored ones alone without. */
    recentIps?: readonly RecentIp[] | undefined;
  },
): TokenView {
  const status = tokenStatus(token, options.nowMs);
  // Buffered usage not yet flushed is newer than the stored one.
  const pending = options.pendingUsage;
  const fresher = pending !== undefined && pending.at > (token.lastUsedAt ?? 0);
  return {
    id: token.id,
    org_id: token.orgId,
    name: token.name,
    description: token.description,
    kind: token.kind,
    scopes: token.scopes,
    hint: token.hint,
    owner: { type: options.ownerType, id: token.ownerId },
    created_by: { id: token.createdBy },
    impersonation: token.impersonation,
    created_at: isoRequired(token.createdAt),
    // A rotated-away token ends with its grace period; clients see that as its expiry. A revoked
    // token shows the expiry it had (its revocation time is in revoked_at).
    expires_at: iso(status === 'revoked' ? token.expiresAt : effectiveEnd(token)),
    last_used_at: iso(fresher ? pending.at : token.lastUsedAt),
    last_used_ip: fresher ? pending.ip : token.lastUsedIp,
    status,
    expiring_soon: isExpiringSoon(token, options.warningWindowDays, options.nowMs),
    revoked_at: status === 'revoked' ? iso(token.revokedAt) : null,
    disabled_reason: status === 'disabled' ? token.disabledReason : null,
    ip_allowlist: token.ipAllowlist,
    rotated_from: token.rotatedFrom,
    replaced_by: token.replacedBy,
    rate_limits: token.rateLimits,
    usage_limit: usageLimitView(token, options.nowMs, options.liveCredits),
    recent_ips: (options.recentIps ?? token.recentIps).map((r) => ({ ip: r.ip, last_seen_at: isoRequired(r.lastSeenAt) })),
  };
}

/** Credits as this process last counted them, else as last written (with a refill since applied). */
export function usageLimitView(token: Token, nowMs: number, live: number | undefined): TokenView['usage_limit'] {
  const stored = storedCredits(token);
  if (stored === null) return null;
  const remaining = live ?? creditsAt(stored, nowMs);
  return { remaining: Math.max(0, remaining), refill: token.usageRefill };
}

export function liveCredits(ctx: ServiceContext, token: Token, nowMs: number): number | undefined {
  if (token.usageRemaining === null) return undefined;
  return ctx.counters.peekCredits(token.limitKey, token.usageVersion, creditPeriod(token.usageRefill, nowMs));
}

/** What this process knows of a token that the store does not yet: unflushed usage, addresses and credits. */
export function liveFacts(ctx: ServiceContext, token: Token, nowMs: number) {
  return { pendingUsage: ctx.usage.peek(token.id), recentIps: ctx.usage.recentIps(token.id, token.recentIps), liveCredits: liveCredits(ctx, token, nowMs) };
}

/** Tokens of one org as the wire shows them, with their owners' types and unflushed usage. */
export async function tokenViews(ctx: ServiceContext, org: Org, tokens: readonly Token[], nowMs: number): Promise<TokenView[]> {
  const types = await userTypes(ctx.db, tokens.map((t) => t.ownerId));
  return tokens.map((token) =>
    tokenView(token, { nowMs, warningWindowDays: org.tokenPolicy.warning_window_days, ownerType: types.get(token.ownerId) ?? 'user', ...liveFacts(ctx, token, nowMs) }),
  );
}

export async function tokenViewOf(ctx: ServiceContext, org: Org, token: Token, nowMs: number): Promise<TokenView> {
  return (await tokenViews(ctx, org, [token], nowMs))[0]!;
}
