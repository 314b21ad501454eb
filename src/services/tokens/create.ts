import type { CreateTokenRequest, NewTokenRequest, TokenWithSecret } from '../../contract/index.js';
import { allowlistWithinParent, assertEndsWithinParent, type DelegatingToken } from '../../core/delegation.js';
import { Forbidden, PolicyViolation } from '../../core/errors.js';
import { parseAllowlist } from '../../core/ip-allowlist.js';
import type { User } from '../../core/model.js';
import { normalizeDescription, normalizeName } from '../../core/names.js';
import { resolveExpiration, type TokenPolicy } from '../../core/policy.js';
import { assertWithinBound, checkRateLimits } from '../../core/usage-limits.js';
import { iso } from '../../core/time.js';
import { lockStanding } from '../../store/members.js';
import { insertToken } from '../../store/tokens.js';
import { orgAccess, requirePermission, type Caller, type OrgAccess } from '../access.js';
import { actorOf, recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { hashedToken, prepareToken, type TokenLimits } from './issue.js';
import {
  activeMember,
  assertKindAllowed,
  assertMayMint,
  assertTokensEnabled,
  assertUnderCap,
  checkScopes,
  delegatingToken,
  impersonationTarget,
} from './rules.js';
import { tokenView } from './view.js';

/**
 * `POST /orgs/{org}/tokens`: a token for the caller, or for a service account (`tokens.manage`).
 * A service account's own token is no exception: its tokens are a manager's to hand out.
 */
export async function createToken(ctx: ServiceContext, caller: Caller, orgId: string, request: CreateTokenRequest): Promise<TokenWithSecret> {
  const access = await orgAccess(ctx.db, caller, orgId);
  assertMayMint(caller);
  const ownerId = request.owner_id ?? caller.user.id;
  const forServiceAccount = ownerId !== caller.user.id || caller.user.type === 'service_account';
  requirePermission(access, forServiceAccount ? 'tokens.manage' : 'tokens.create', 'write');
  // A site admin acting from outside is no member, and a non-member's token could never verify.
  if (!forServiceAccount && access.role === null) throw new Forbidden('Only members of the organization own its tokens.');
  const owner = forServiceAccount ? await activeMember(ctx.db, access.org, ownerId, 'service_account') : caller.user;
  return mint(ctx, access, request, owner, false);
}

/** `POST /orgs/{org}/members/{user}/tokens`: an impersonation token on behalf of a member. */
export async function createImpersonationToken(
  ctx: ServiceContext,
  caller: Caller,
  orgId: string,
  userId: string,
  request: NewTokenRequest,
): Promise<TokenWithSecret> {
  const access = await orgAccess(ctx.db, caller, orgId);
  assertMayMint(caller);
  requirePermission(access, 'tokens.impersonate', 'write');
  const owner = await impersonationTarget(ctx.db, access, userId);
  return mint(ctx, access, request, owner, true);
}

async function mint(ctx: ServiceContext, access: OrgAccess, request: NewTokenRequest, owner: User, impersonation: boolean): Promise<TokenWithSecret> {
  const { org, caller } = access;
  const policy = org.tokenPolicy;
  assertTokensEnabled(ctx.config, org);
  const name = normalizeName(request.name);
  const description = normalizeDescription(request.description);
  const kind = request.kind ?? 'api_key';
  assertKindAllowed(policy, kind);
  checkScopes(ctx.config, access, request.scopes);
  const requestedAllowlist = request.ip_allowlist === undefined ? undefined : parseAllowlist(request.ip_allowlist);
  const now = ctx.clock.now();
  const expiresAt = resolveExpiration({ expiresInDays: request.expires_in_days, expiresAt: request.expires_at }, policy, now);
  // A token hands on no more than it has: its scopes (checkScopes), its life and its addresses.
  const parent = await delegatingToken(ctx.db, caller);
  if (parent) assertEndsWithinParent(parent, expiresAt, request.expires_at !== undefined ? 'expires_at' : 'expires_in_days');
  const ipAllowlist = parent ? allowlistWithinParent(parent, requestedAllowlist) : (requestedAllowlist ?? []);
  const limits = limitsOf(ctx, request, policy, parent);
  const { token, secret } = await prepareToken(
    ctx,
    { orgId: org.id, ownerId: owner.id, createdBy: caller.user.id, impersonation, name, description, scopes: request.scopes, kind, ipAllowlist, expiresAt, rotatedFrom: null, limits },
    now,
  );
  await ctx.db.transaction().execute(async (trx) => {
    // Asked again where it counts, under lock: an owner removed or deactivated since the checks
    // above must not be left holding an enabled token, and concurrent mints meet the cap in turn.
    await lockStanding(trx, org.id, owner.id);
    await activeMember(trx, org, owner.id, owner.type);
    // Impersonation tokens are the admin's doing, not the member's: they do not use up the member's cap.
    if (!impersonation) await assertUnderCap(trx, org, owner.id, now);
    await insertToken(trx, token);
    await recordAudit(
      trx,
      actorOf(caller),
      {
        orgId: org.id,
        action: 'token.created',
        target: { type: 'token', id: token.id },
        details: {
          name,
          scopes: request.scopes,
          kind,
          expires_at: iso(expiresAt),
          hashed_token: hashedToken(secret),
          ...(token.rateLimits.length > 0 ? { rate_limits: token.rateLimits } : {}),
          ...(token.usageRemaining !== null ? { usage_limit: { remaining: token.usageRemaining, refill: token.usageRefill } } : {}),
          ...(owner.id !== caller.user.id ? { owner_id: owner.id } : {}),
          ...(impersonation ? { impersonation: true } : {}),
        },
      },
      now,
    );
  });
  ctx.invalidate.tokenCreated(token.digest);
  const view = tokenView(token, { nowMs: now, warningWindowDays: policy.warning_window_days, ownerType: owner.type });
  return { token: view, secret };
}

/**
 * A new token's usage controls: those it asks for, else the org's default rate limits. A token made
 * by a limited token shares that token's limits and counters (it hands on no more than it has).
 */
function limitsOf(ctx: ServiceContext, request: NewTokenRequest, policy: TokenPolicy, parent: DelegatingToken | null): TokenLimits {
  if (parent?.limited) {
    if (request.rate_limits !== undefined || request.usage_limit !== undefined) {
      throw new PolicyViolation('bound_exceeded', 'A token made by a token with rate limits or credits shares them; it cannot set its own.', {
        field: request.rate_limits !== undefined ? 'rate_limits' : 'usage_limit',
      });
    }
    return { sharedWith: parent.limited };
  }
  const rateLimits = request.rate_limits === undefined ? policy.default_rate_limits : checkRateLimits(request.rate_limits, 'rate_limits');
  assertWithinBound(rateLimits, ctx.config.policyBounds.max_rate_limit, 'rate_limits');
  const usage = request.usage_limit ?? null;
  return { rateLimits, usageLimit: usage && { remaining: usage.remaining, refill: usage.refill ?? null } };
}
