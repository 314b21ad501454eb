import { Conflict, Forbidden, InvalidToken, Unauthenticated, ValidationFailed } from '../core/errors.js';
import { managementScopeFor, type Permission } from '../core/permissions.js';
import { DAY_MS, type TokenPolicy } from '../core/policy.js';
import { looksLikeJwt, parseApiKey } from '../core/token-format.js';
import { digestSecret, sameDigest } from '../core/token-hash.js';
import type { TokenRow } from '../store/schema.js';
import type { Executor } from '../store/db.js';
import { findTokenByDigest, markReplaced, rotationChain, updateToken } from '../store/tokens.js';
import { findUserById } from '../store/users.js';
import { hasPermission, orgAccess, requireScope, type Caller, type OrgAccess, type RequestMeta } from './access.js';
import { actorOf, recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';
import {
  actionableToken,
  activeMember,
  assertKindAllowed,
  assertMayMint,
  assertTokensEnabled,
  checkScopes,
  hashedToken,
  impersonationTarget,
  issueToken,
  statusOf,
  viewsOf,
  type IssuedToken,
} from './tokens.js';

/** A rotated-away token stays valid at most this long (7 days). */
export const MAX_GRACE_PERIOD_SECONDS = 604_800;

/**
 * `POST /orgs/{org}/tokens/{id}/rotate`. A token caller may rotate a token only when every scope
 * of it is among its own effective scopes (the create rule), so no token gets a stronger secret.
 */
export async function rotateToken(
  ctx: ServiceContext,
  caller: Caller,
  orgId: string,
  tokenId: string,
  gracePeriodSeconds: number,
): Promise<IssuedToken> {
  const access = await orgAccess(ctx.db, caller, orgId);
  assertMayMint(caller);
  requireScope(caller, managementScopeFor('tokens.own', 'write'));
  return rotate(ctx, access, tokenId, gracePeriodSeconds);
}

/**
 * `POST /tokens/self/rotate`: the presented token rotates itself. Possession is the authority, so
 * no `keyward:*` scope is needed — a CI token with only product scopes can keep itself fresh.
 */
export async function rotateSelf(ctx: ServiceContext, caller: Caller, gracePeriodSeconds: number): Promise<IssuedToken> {
  if (!caller.token) throw new Unauthenticated('Present the token to rotate as a Bearer token or in X-API-Key.');
  assertMayMint(caller);
  const access = await orgAccess(ctx.db, caller, caller.token.orgId);
  return rotate(ctx, access, caller.token.id, gracePeriodSeconds);
}

/**
 * Reuse detection for self-rotation: a rotated-away token presented after its grace period means
 * two parties hold the chain (one of them a thief), so every token of the chain is revoked and
 * the call fails. Returns quietly for any other token; authentication then judges it as usual.
 */
export async function detectRotatedReuse(ctx: ServiceContext, secret: string, meta: RequestMeta): Promise<void> {
  const row = await findPresentedToken(ctx, secret);
  const now = ctx.clock.now();
  if (!row || !isRotatedAway(row, now)) return;
  const revoked = await ctx.db.transaction().execute(async (trx) => {
    const live = (await rotationChain(trx, row)).filter((t) => statusOf(t, now) !== 'revoked');
    for (const token of live) await updateToken(trx, token.id, { revoked_at: now, revoked_reason: 'reuse_detected' });
    // Once the chain is dead, further presentations are plain failures, not news worth an event.
    if (live.length > 0) {
      await recordAudit(
        trx,
        { type: 'token', id: row.id, impersonatorId: null, meta },
        {
          orgId: row.org_id,
          action: 'token.reuse_detected',
          target: { type: 'token', id: row.id },
          details: { revoked: live.map((t) => t.id) },
        },
        now,
      );
    }
    return live;
  });
  for (const token of revoked) ctx.cache.invalidateToken(token.id);
  throw new InvalidToken('This token was rotated away; presenting it again revoked its whole rotation chain.');
}

function isRotatedAway(row: TokenRow, nowMs: number): boolean {
  return row.replaced_by !== null && row.revoked_reason === 'rotated' && row.revoked_at !== null && Number(row.revoked_at) <= nowMs;
}

/** parse → digest → lookup, as the verify path does, but without refusing revoked tokens. */
async function findPresentedToken(ctx: ServiceContext, secret: string): Promise<TokenRow | undefined> {
  const wellFormed = looksLikeJwt(secret)
    ? (await ctx.jwtKeys.verify(secret)) !== null
    : parseApiKey(secret, ctx.config.tokenPrefix) !== null;
  if (!wellFormed) return undefined;
  const digest = digestSecret(ctx.pepper, secret);
  const row = await findTokenByDigest(ctx.db, digest);
  return row && sameDigest(row.digest, digest) ? row : undefined;
}

/**
 * Issues the successor (same name, description, scopes, kind, owner, allowlist, impersonation
 * and a fresh lifetime of the original's length) and ends the old token after the grace period.
 */
async function rotate(ctx: ServiceContext, access: OrgAccess, tokenId: string, gracePeriodSeconds: number): Promise<IssuedToken> {
  if (!Number.isInteger(gracePeriodSeconds) || gracePeriodSeconds < 0 || gracePeriodSeconds > MAX_GRACE_PERIOD_SECONDS) {
    throw new ValidationFailed(`grace_period_seconds must be 0 to ${MAX_GRACE_PERIOD_SECONDS}.`, { field: 'grace_period_seconds' });
  }
  const { org, caller } = access;
  assertTokensEnabled(ctx, org);
  const now = ctx.clock.now();
  const issued = await ctx.db.transaction().execute(async (trx) => {
    const old = await actionableToken(trx, access, tokenId);
    if (old.replaced_by !== null) throw new Conflict('This token was already rotated.');
    const status = statusOf(old, now);
    // A disabled token stays suspended: a fresh successor would undo the suspension.
    if (status !== 'active') throw new Conflict(`A ${status} token cannot be rotated.`);
    await assertMayReissue(trx, access, old);
    assertKindAllowed(org.tokenPolicy, old.kind);
    const scopes = JSON.parse(old.scopes) as string[];
    checkScopes(ctx, access, scopes);
    const successor = await issueToken(
      ctx,
      trx,
      {
        orgId: org.id,
        ownerId: old.owner_id,
        createdBy: caller.user.id,
        impersonation: old.impersonation === 1,
        name: old.name,
        description: old.description,
        scopes,
        kind: old.kind,
        ipAllowlist: JSON.parse(old.ip_allowlist) as string[],
        expiresAt: renewedExpiry(old, org.tokenPolicy, now),
        rotatedFrom: old.id,
      },
      now,
    );
    const won = await markReplaced(trx, old.id, { replacedBy: successor.row.id, revokedAt: now + gracePeriodSeconds * 1000 });
    // Rolls back the successor too: a concurrent rotation got there first.
    if (!won) throw new Conflict('This token was already rotated.');
    await recordAudit(
      trx,
      actorOf(caller),
      {
        orgId: org.id,
        action: 'token.rotated',
        target: { type: 'token', id: old.id },
        details: {
          successor: successor.row.id,
          grace_period_seconds: gracePeriodSeconds,
          hashed_token: hashedToken(successor.secret),
        },
      },
      now,
    );
    return successor;
  });
  ctx.cache.invalidateToken(tokenId);
  return { token: (await viewsOf(ctx, org, [issued.row], now))[0]!, secret: issued.secret };
}

/**
 * Rotation hands out a working secret, so it takes what creating that token would take today
 * (the per-user cap aside: the successor replaces the old token). Managers may revoke or disable
 * a member's token, but only its owner gets a secret that acts as them.
 */
async function assertMayReissue(db: Executor, access: OrgAccess, old: TokenRow): Promise<void> {
  const { org, caller } = access;
  if (old.impersonation === 1) {
    need(access, 'tokens.impersonate');
    await impersonationTarget(db, access, old.owner_id);
    return;
  }
  if (old.owner_id === caller.user.id) {
    // A service account's tokens were approved by a manager; it keeps them fresh by possession.
    if (caller.user.type === 'user') need(access, 'tokens.create');
    return;
  }
  const owner = await findUserById(db, old.owner_id);
  if (owner?.type !== 'service_account') {
    throw new Forbidden("Only its owner may rotate a member's token; managers can revoke or disable it.");
  }
  need(access, 'tokens.manage');
  await activeMember(db, org, owner.id, 'service_account');
}

/** The permission alone: the `keyward:tokens:write` scope was checked on the way in, or possession stands for it. */
function need(access: OrgAccess, permission: Permission): void {
  if (!hasPermission(access, permission)) throw new Forbidden(`Rotating this token needs the ${permission} permission.`);
}

/** A lifetime as long as the original's, within today's policy. */
function renewedExpiry(old: TokenRow, policy: TokenPolicy, nowMs: number): number | null {
  const maxMs = policy.max_lifetime_days * DAY_MS;
  if (old.expires_at === null) return policy.expiration_required ? nowMs + maxMs : null;
  return nowMs + Math.min(Number(old.expires_at) - Number(old.created_at), maxMs);
}
