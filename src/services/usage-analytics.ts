import type { OrgUsageView, TokenUsageView, UsageBucketView, UsageQueryRequest } from '../contract/index.js';
import type { Token } from '../core/model.js';
import { ValidationFailed } from '../core/errors.js';
import { managementScopeFor } from '../core/permissions.js';
import { isoRequired } from '../core/time.js';
import { busiestTokens, usageRange, usageSeries, type UsageCount, type UsageRange } from '../core/usage-buckets.js';
import type { Executor } from '../store/db.js';
import { orgUsageByBucket, orgUsageByToken, tokenNames, tokenUsageCounts } from '../store/usage.js';
import { authorizeInOrg, hasPermission, orgAccess, requireScope, type Caller } from './access.js';
import type { ServiceContext } from './context.js';
import { actionableToken } from './tokens/rules.js';

/** How many of an org's tokens its usage overview names. */
export const BUSIEST_TOKENS = 10;

/**
 * A token whose usage the caller may read: exactly the tokens `GET …/tokens/{id}` shows them (their
 * own, others' with tokens.manage, impersonation tokens with tokens.impersonate); anything else 404.
 * Asked before the query is validated (DESIGN §3), and again by the use case.
 */
export async function readableToken(db: Executor, caller: Caller, orgId: string, tokenId: string): Promise<Token> {
  const access = await orgAccess(db, caller, orgId);
  requireScope(caller, managementScopeFor('tokens.own', 'read'));
  return actionableToken(db, access, tokenId);
}

/**
 * What the org-wide overview needs: tokens.manage, the permission that lists every token of the
 * org (`owner=all`); a member is refused with 403, another org's caller 404.
 */
export function authorizeOrgUsage(db: Executor, caller: Caller, orgId: string) {
  return authorizeInOrg(db, caller, orgId, ['tokens.manage'], 'read');
}

/** `GET /orgs/{org}/tokens/{id}/usage`: the token's verifications per bucket, unflushed ones included. */
export async function tokenUsage(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string, query: UsageQueryRequest): Promise<TokenUsageView> {
  const token = await readableToken(ctx.db, caller, orgId, tokenId);
  const range = rangeOf(query, ctx.clock.now());
  const stored = await tokenUsageCounts(ctx.db, token.id, range);
  const unflushed = ctx.usage.unflushedCounts(range, (id) => id === token.id);
  return { data: seriesView(range, [...stored, ...unflushed]) };
}

/**
 * `GET /orgs/{org}/usage`: the org's verifications per bucket and its busiest tokens. Impersonation
 * tokens count only for callers who may see them (tokens.impersonate), in the totals as in the list.
 */
export async function orgUsage(ctx: ServiceContext, caller: Caller, orgId: string, query: UsageQueryRequest): Promise<OrgUsageView> {
  const access = await authorizeOrgUsage(ctx.db, caller, orgId);
  const hideImpersonation = !hasPermission(access, 'tokens.impersonate');
  const range = rangeOf(query, ctx.clock.now());
  const unflushed = ctx.usage.unflushedCounts(range, (_id, hour) => hour.orgId === orgId && !(hideImpersonation && hour.impersonation));
  const [byBucket, byToken] = await Promise.all([
    orgUsageByBucket(ctx.db, orgId, range, hideImpersonation),
    orgUsageByToken(ctx.db, orgId, range, hideImpersonation),
  ]);
  const busiest = busiestTokens([...byToken, ...unflushed], BUSIEST_TOKENS);
  const names = await tokenNames(ctx.db, orgId, busiest.map((b) => b.tokenId));
  return {
    data: seriesView(range, [...byBucket, ...unflushed]),
    tokens: busiest.flatMap((b) => {
      const name = names.get(b.tokenId);
      return name === undefined ? [] : [{ id: b.tokenId, name, total: b.total, codes: b.codes }];
    }),
  };
}

function rangeOf(query: UsageQueryRequest, nowMs: number): UsageRange {
  return usageRange({ granularity: query.granularity, since: instant(query.since, 'since'), until: instant(query.until, 'until') }, nowMs);
}

/** The schema checked the RFC 3339 shape; a time it admits that Date cannot place (a leap second) is still refused. */
function instant(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ValidationFailed(`${field} is not a time this server can place; use e.g. 2026-01-15T10:00:00Z.`, { field });
  return ms;
}

function seriesView(range: UsageRange, counts: UsageCount[]): UsageBucketView[] {
  return usageSeries(range, counts).map((p) => ({ bucket_start: isoRequired(p.bucketStart), codes: p.codes }));
}
