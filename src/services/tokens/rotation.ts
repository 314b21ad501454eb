import type { TokenWithSecret } from '../../contract/index.js';
import { Conflict, Forbidden, InvalidToken, Unauthenticated, ValidationFailed } from '../../core/errors.js';
import type { Token } from '../../core/model.js';
import { managementScopeFor, type Permission } from '../../core/permissions.js';
import { DAY_MS, MAX_GRACE_PERIOD_SECONDS, type TokenPolicy } from '../../core/policy.js';
import { looksLikeJwt, parseApiKey } from '../../core/token-format.js';
import { digestSecret, sameDigest } from '../../core/token-hash.js';
import { assertAllowlistWithinParent, expiryWithinParent } from '../../core/delegation.js';
import { endGrace, transition, type TokenEvent } from '../../core/token-transitions.js';
import type { Executor } from '../../store/db.js';
import { lockStanding } from '../../store/members.js';
import { findTokenByDigest, findTokenById, insertToken, updateToken } from '../../store/tokens.js';
import { findUserById } from '../../store/users.js';
import { hasPermission, orgAccess, requireScope, type Caller, type OrgAccess, type RequestMeta } from '../access.js';
import { actorOf, recordAudit, type AuditActor } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { hashedToken, prepareToken, sharedLimitFields } from './issue.js';
import {
  actionableToken,
  activeMember,
  assertKindAllowed,
  assertMayMint,
  assertTokensEnabled,
  assertUnderCap,
  checkScopes,
  delegatingToken,
  impersonationTarget,
} from './rules.js';
import { applyTransition, revokeChain } from './transitions.js';
import { tokenViewOf } from './view.js';

/**
 * `POST /orgs/{org}/tokens/{id}/rotate`. A token caller may rotate a token only when every scope
 * of it is among its own effective scopes (the create rule), so no token gets a stronger secret.
 */
export async function rotateToken(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string, gracePeriodSeconds: number): Promise<TokenWithSecret> {
  const access = await orgAccess(ctx.db, caller, orgId);
  assertMayMint(caller);
  requireScope(caller, managementScopeFor('tokens.own', 'write'));
  return rotate(ctx, access, tokenId, gracePeriodSeconds);
}

/**
 * `POST /tokens/self/rotate`: the presented token rotates itself. Possession is the authority, so
 * no `keyward:*` scope is needed — a CI token with only product scopes can keep itself fresh.
 */
export async function rotateSelf(ctx: ServiceContext, caller: Caller, gracePeriodSeconds: number): Promise<TokenWithSecret> {
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
  const token = await findPresentedToken(ctx, secret);
  const now = ctx.clock.now();
  if (!token || !isRotatedAway(token, now)) return;
  const actor = { type: 'token' as const, id: token.id, impersonatorId: null, meta };
  const revoked = await ctx.db.transaction().execute((trx) => revokeChain(trx, actor, token, now));
  for (const id of revoked) ctx.invalidate.token(id);
  throw new InvalidToken('This token was rotated away; presenting it again revoked its whole rotation chain.');
}

function isRotatedAway(token: Token, nowMs: number): boolean {
  return token.replacedBy !== null && token.revokedReason === 'rotated' && token.revokedAt !== null && token.revokedAt <= nowMs;
}

/**
 * parse → digest → lookup, as the verify path does, but without refusing revoked tokens: the
 * stored token a secret is, whatever its state (reuse detection, leak reports).
 */
export async function findPresentedToken(ctx: ServiceContext, secret: string): Promise<Token | undefined> {
  const wellFormed = looksLikeJwt(secret) ? (await ctx.jwtKeys.verify(secret)) !== null : parseApiKey(secret, ctx.config.tokenPrefix) !== null;
  if (!wellFormed) return undefined;
  const digest = digestSecret(ctx.pepper, secret);
  const token = await findTokenByDigest(ctx.db, digest);
  return token && sameDigest(token.digest, digest) ? token : undefined;
}

/**
 * Issues the successor (same name, description, scopes, kind, owner, allowlist, impersonation
 * and a fresh lifetime of the original's length) and ends the old token after the grace period.
 */
async function rotate(ctx: ServiceContext, access: OrgAccess, tokenId: string, gracePeriodSeconds: number): Promise<TokenWithSecret> {
  if (!Number.isInteger(gracePeriodSeconds) || gracePeriodSeconds < 0 || gracePeriodSeconds > MAX_GRACE_PERIOD_SECONDS) {
    throw new ValidationFailed(`grace_period_seconds must be 0 to ${MAX_GRACE_PERIOD_SECONDS}.`, { field: 'grace_period_seconds' });
  }
  const { org, caller } = access;
  assertTokensEnabled(ctx.config, org);
  const now = ctx.clock.now();
  // The secret is made before the transaction from the token's immutable facts; the checks that
  // decide whether it may be handed out run inside it.
  const old = await actionableToken(ctx.db, access, tokenId);
  // A token rotating another hands on no more than it has (as when it creates one): the successor
  // ends by its end and keeps the target's allowlist only within its own. Rotating itself renews it.
  const parent = caller.token?.id === old.id ? null : await delegatingToken(ctx.db, caller);
  if (parent) assertAllowlistWithinParent(parent, old.ipAllowlist);
  const renewed = renewedExpiry(old, org.tokenPolicy, now);
  const prepared = await prepareToken(
    ctx,
    {
      orgId: org.id,
      ownerId: old.ownerId,
      createdBy: caller.user.id,
      impersonation: old.impersonation,
      name: old.name,
      description: old.description,
      scopes: old.scopes,
      kind: old.kind,
      ipAllowlist: old.ipAllowlist,
      expiresAt: parent ? expiryWithinParent(parent, renewed) : renewed,
      rotatedFrom: old.id,
      limits: { sharedWith: old },
    },
    now,
  );
  const replace: TokenEvent = { type: 'replace', successorId: prepared.token.id, graceEndsAt: now + gracePeriodSeconds * 1000 };
  const { successor, endedGrace } = await ctx.db.transaction().execute(async (trx) => {
    // First, as a mint does: concurrent rotations and mints of this owner meet the cap in turn.
    await lockStanding(trx, org.id, old.ownerId);
    const current = await actionableToken(trx, access, tokenId);
    const outcome = transition(current, replace, now);
    if (outcome.outcome === 'refused') throw new Conflict(outcome.reason);
    await assertMayReissue(trx, access, current);
    assertKindAllowed(org.tokenPolicy, current.kind);
    checkScopes(ctx.config, access, current.scopes);
    const actor = actorOf(caller);
    const endedGrace = await endPredecessorGrace(trx, actor, current, now);
    // Through its grace the old token is a working secret beside its successor: both count toward
    // the cap (impersonation tokens count toward no one's), so a rotation that keeps it needs room.
    if (gracePeriodSeconds > 0 && !current.impersonation) await assertUnderCap(trx, org, current.ownerId, now, ROTATE_WITHOUT_GRACE);
    // A rename may have committed since the secret was made, or a new usage limit: the successor takes both as they are.
    const successor = { ...prepared.token, ...sharedLimitFields(current), name: current.name, description: current.description };
    await insertToken(trx, successor);
    // Rolls back the successor too when a concurrent rotation got there first.
    await applyTransition(trx, actor, current, replace, now, {
      grace_period_seconds: gracePeriodSeconds,
      hashed_token: hashedToken(prepared.secret),
      ...(endedGrace ? { ended_grace_of: endedGrace } : {}),
    });
    return { successor, endedGrace };
  });
  ctx.invalidate.token(tokenId);
  if (endedGrace) ctx.invalidate.token(endedGrace);
  ctx.invalidate.tokenCreated(successor.digest);
  return { token: await tokenViewOf(ctx, org, successor, now), secret: prepared.secret };
}

const ROTATE_WITHOUT_GRACE = 'Rotate with grace_period_seconds 0 to replace the token in its place, or revoke a token first.';

/**
 * A chain holds at most two live secrets: rotating a token whose predecessor is still in its grace
 * period revokes that predecessor now (audited as its revocation). Returns its id, if it was live.
 */
async function endPredecessorGrace(trx: Executor, actor: AuditActor, current: Token, nowMs: number): Promise<string | null> {
  if (current.rotatedFrom === null) return null;
  const predecessor = await findTokenById(trx, current.orgId, current.rotatedFrom);
  const change = predecessor && predecessor.replacedBy === current.id ? endGrace(predecessor, nowMs) : null;
  if (!predecessor || !change) return null;
  await updateToken(trx, predecessor.id, change);
  await recordAudit(
    trx,
    actor,
    {
      orgId: predecessor.orgId,
      action: 'token.revoked',
      target: { type: 'token', id: predecessor.id },
      details: { reason: 'rotated', grace_ended_by_rotation_of: current.id },
    },
    nowMs,
  );
  return predecessor.id;
}

/**
 * Rotation hands out a working secret, so it takes what creating that token would take today
 * (the per-user cap is the rotation's own business above). Managers may revoke or disable
 * a member's token, but only its owner gets a secret that acts as them.
 */
async function assertMayReissue(db: Executor, access: OrgAccess, old: Token): Promise<void> {
  const { org, caller } = access;
  if (old.impersonation) {
    need(access, 'tokens.impersonate');
    await impersonationTarget(db, access, old.ownerId);
    return;
  }
  if (old.ownerId === caller.user.id) {
    // A service account's tokens were approved by a manager; it keeps them fresh by possession.
    if (caller.user.type === 'user') need(access, 'tokens.create');
    return;
  }
  const owner = await findUserById(db, old.ownerId);
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
function renewedExpiry(old: Token, policy: TokenPolicy, nowMs: number): number | null {
  const maxMs = policy.max_lifetime_days * DAY_MS;
  if (old.expiresAt === null) return policy.expiration_required ? nowMs + maxMs : null;
  return nowMs + Math.min(old.expiresAt - old.createdAt, maxMs);
}
