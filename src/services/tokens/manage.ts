import type { RenameTokenRequest, TokenView, UsageLimitView } from '../../contract/index.js';
import { creditPeriod } from '../../core/usage-limits.js';
import { Conflict, Forbidden } from '../../core/errors.js';
import type { Token } from '../../core/model.js';
import { normalizeDescription, normalizeName } from '../../core/names.js';
import { managementScopeFor } from '../../core/permissions.js';
import type { DisabledReason } from '../../core/token-status.js';
import { transition, type TokenEvent } from '../../core/token-transitions.js';
import type { Executor } from '../../store/db.js';
import { lockStanding } from '../../store/members.js';
import { findMembership } from '../../store/orgs.js';
import { setUsageLimit, tokenIdsSharingLimits, updateToken } from '../../store/tokens.js';
import { findUserById } from '../../store/users.js';
import { orgAccess, requirePermission, requireScope, type Caller, type OrgAccess } from '../access.js';
import { actorOf, recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { actionableToken, assertUnderCap, managesToken } from './rules.js';
import { applyTransition } from './transitions.js';
import { liveCredits, tokenViewOf, usageLimitView } from './view.js';

type ChangeInput = { token: Token; access: OrgAccess; trx: Executor; nowMs: number };

/**
 * The shape every change of one token shares: access, the write scope, the token loaded inside
 * the transaction, the change with its audit event, then the caches; answers the token as it is.
 */
async function changeToken(
  ctx: ServiceContext,
  caller: Caller,
  orgId: string,
  tokenId: string,
  change: (input: ChangeInput) => Promise<Token>,
): Promise<TokenView> {
  const access = await orgAccess(ctx.db, caller, orgId);
  requireScope(caller, managementScopeFor('tokens.own', 'write'));
  const now = ctx.clock.now();
  const token = await ctx.db.transaction().execute(async (trx) => change({ token: await actionableToken(trx, access, tokenId), access, trx, nowMs: now }));
  ctx.invalidate.token(tokenId);
  return tokenViewOf(ctx, access.org, token, now);
}

/**
 * Name and description are the mutable fields, and the credits (`tokens.manage` only, DESIGN §1);
 * scopes, owner, expiry and rate limits need a rotation or a new token.
 */
export async function renameToken(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string, change: RenameTokenRequest): Promise<TokenView> {
  if (change.usage_limit !== undefined) {
    const sharing: string[] = [];
    const view = await changeToken(ctx, caller, orgId, tokenId, async (input) => {
      // The route's guard asked before validation; asked again where it acts.
      requirePermission(input.access, 'tokens.manage', 'write');
      const renamed = await renameIn(input, caller, change);
      sharing.push(...(await tokenIdsSharingLimits(input.trx, renamed.limitKey)));
      return setCredits({ ...input, token: renamed }, caller, change.usage_limit ?? null, ctx);
    });
    // Tokens sharing the counters (a rotation's other half, tokens it made) drop their records too, once committed.
    for (const id of sharing) ctx.invalidate.token(id);
    return view;
  }
  return changeToken(ctx, caller, orgId, tokenId, (input) => renameIn(input, caller, change));
}

async function renameIn({ token, trx, nowMs }: ChangeInput, caller: Caller, change: RenameTokenRequest): Promise<Token> {
  const name = change.name === undefined ? token.name : normalizeName(change.name);
  const description = change.description === undefined ? token.description : normalizeDescription(change.description);
  if (name === token.name && description === token.description) return token;
  await updateToken(trx, token.id, { name, description });
  await recordAudit(
    trx,
    actorOf(caller),
    {
      orgId: token.orgId,
      action: 'token.renamed',
      target: { type: 'token', id: token.id },
      details: { name, previous_name: token.name, description_changed: description !== token.description },
    },
    nowMs,
  );
  return { ...token, name, description };
}

/**
 * Sets (or with null removes) the credits of the token's whole rotation chain, audited. The
 * setting's version moves on, so counts of the old setting, in this process or in Redis, are
 * left behind rather than overwriting it.
 */
async function setCredits({ token, trx, nowMs }: ChangeInput, caller: Caller, limit: UsageLimitView | null, ctx: ServiceContext): Promise<Token> {
  const refill = limit?.refill ?? null;
  const period = limit ? creditPeriod(refill, nowMs) : null;
  const previous = usageLimitView(token, nowMs, liveCredits(ctx, token, nowMs));
  await setUsageLimit(trx, token.limitKey, { remaining: limit?.remaining ?? null, refill: refill && JSON.stringify(refill), period });
  await recordAudit(
    trx,
    actorOf(caller),
    {
      orgId: token.orgId,
      action: 'token.usage_limit_changed',
      target: { type: 'token', id: token.id },
      details: { usage_limit: limit && { remaining: limit.remaining, refill }, previous_usage_limit: previous },
    },
    nowMs,
  );
  return { ...token, usageRemaining: limit?.remaining ?? null, usageRefill: limit ? refill : null, usagePeriod: period, usageVersion: token.usageVersion + 1 };
}

function transitionBy(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string, event: (input: ChangeInput) => Promise<TokenEvent> | TokenEvent) {
  return changeToken(ctx, caller, orgId, tokenId, async (input) =>
    applyTransition(input.trx, actorOf(caller), input.token, await event(input), input.nowMs),
  );
}

/** Immediate and permanent; revoking a revoked token changes nothing. */
export function revokeToken(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string): Promise<TokenView> {
  return transitionBy(ctx, caller, orgId, tokenId, () => ({ type: 'revoke', reason: 'manual' }));
}

/** The owner's own suspension is `manual`; anyone else's is `administrative`, which only a manager lifts. */
export function disableToken(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string): Promise<TokenView> {
  return transitionBy(ctx, caller, orgId, tokenId, ({ token }) => {
    const reason: DisabledReason = !token.impersonation && token.ownerId === caller.user.id ? 'manual' : 'administrative';
    return { type: 'disable', reason };
  });
}

/**
 * Re-approves a disabled token. The owner may undo only their own suspension; one by a manager or
 * by the system takes a manager. Refused once it expired or was revoked, while an owner whose
 * deactivation disabled it is still inactive, and when it would break the per-user cap.
 */
export function enableToken(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string): Promise<TokenView> {
  return transitionBy(ctx, caller, orgId, tokenId, async ({ token, access, trx, nowMs }) => {
    const event: TokenEvent = { type: 'enable' };
    // Refusals and no-ops of the state machine come first: they need no permission to tell.
    if (transition(token, event, nowMs).outcome !== 'change') return event;
    if (token.disabledReason !== 'manual' && !managesToken(access, token)) {
      throw new Forbidden(
        token.impersonation
          ? 'Enabling this token needs the tokens.impersonate permission.'
          : 'This token was disabled by a manager or by the system; enabling it needs the tokens.manage permission.',
      );
    }
    if (token.disabledReason === 'owner_deactivated' && !(await ownerIsActive(trx, token))) {
      throw new Conflict("The token's owner is deactivated or no longer a member; reactivate the owner first.");
    }
    if (!token.impersonation) {
      await lockStanding(trx, token.orgId, token.ownerId);
      await assertUnderCap(trx, access.org, token.ownerId, nowMs);
    }
    return event;
  });
}

async function ownerIsActive(db: Executor, token: Token): Promise<boolean> {
  const owner = await findUserById(db, token.ownerId);
  return owner?.status === 'active' && (await findMembership(db, token.orgId, token.ownerId)) !== undefined;
}
