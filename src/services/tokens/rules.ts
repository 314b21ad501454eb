import type { Config } from '../../config.js';
import { Forbidden, NotFound, PolicyViolation } from '../../core/errors.js';
import type { Org, Token, User, UserType } from '../../core/model.js';
import type { DelegatingToken } from '../../core/delegation.js';
import { managementScopeFor } from '../../core/permissions.js';
import type { TokenKind, TokenPolicy } from '../../core/policy.js';
import { canGrantScope, scopesForOrg } from '../../core/scopes.js';
import { hasUsageControls } from '../../core/usage-limits.js';
import { effectiveEnd } from '../../core/token-status.js';
import type { Executor } from '../../store/db.js';
import { findMembership } from '../../store/orgs.js';
import { countActiveTokens, findTokenById } from '../../store/tokens.js';
import { findUserById } from '../../store/users.js';
import {
  hasPermission,
  isSiteAdmin,
  orgAccess,
  requireAnyPermission,
  requirePermission,
  requireScope,
  rolePermissions,
  type Caller,
  type OrgAccess,
} from '../access.js';

/** The rules every way of minting, seeing and changing a token shares. */

/** Whether the org's plan includes API tokens at all (DESIGN §1: every plan but those configured). */
export function tokensEnabled(config: Config, org: Pick<Org, 'plan'>): boolean {
  return !config.plansWithoutTokens.includes(org.plan);
}

export function assertTokensEnabled(config: Config, org: Org): void {
  if (!tokensEnabled(config, org)) throw new PolicyViolation('feature_not_enabled', `The ${org.plan} plan does not include API tokens.`);
}

/** Impersonation tokens act for someone else; letting them mint would launder that. */
export function assertMayMint(caller: Caller): void {
  if (caller.token?.impersonation) throw new Forbidden('An impersonation token cannot create or rotate tokens.');
}

export function assertKindAllowed(policy: TokenPolicy, kind: TokenKind): void {
  if (!policy.allowed_kinds.includes(kind)) {
    throw new PolicyViolation('kind_not_allowed', `This organization does not allow ${kind} tokens.`, {
      field: 'kind',
      allowed_kinds: policy.allowed_kinds,
    });
  }
}

/** Room for one more working token of the owner (tokens in a rotation grace count); `hint` says what else to do. */
export async function assertUnderCap(db: Executor, org: Org, ownerId: string, nowMs: number, hint?: string): Promise<void> {
  const max = org.tokenPolicy.max_tokens_per_user;
  if ((await countActiveTokens(db, org.id, ownerId, nowMs)) >= max) {
    throw new PolicyViolation('token_limit_reached', `At most ${max} active tokens per user are allowed.${hint ? ` ${hint}` : ''}`, {
      max_tokens_per_user: max,
    });
  }
}

/**
 * Each scope must be in the org's catalog and within the creator's power; a token caller may only
 * hand on scopes it holds itself, so a token can never mint a stronger one.
 */
export function checkScopes(config: Config, access: OrgAccess, scopes: readonly string[]): void {
  const available = new Set(scopesForOrg(config.scopes, access.org).map((s) => s.name));
  const refusal = (scope: string): string | null => {
    if (!available.has(scope)) return `The scope ${scope} is not available to this organization.`;
    if (!canGrantScope(scope, access.permissions)) return `You may not grant the scope ${scope}.`;
    const callerToken = access.caller.token;
    if (callerToken && !callerToken.scopes.has(scope)) return `A token may only grant scopes it holds; it lacks ${scope}.`;
    return null;
  };
  for (const scope of scopes) {
    const reason = refusal(scope);
    if (reason) throw new PolicyViolation('scope_not_allowed', reason, { field: 'scopes', scope });
  }
}

/**
 * The token the caller authenticated with, as far as what it may hand on goes (its end and its
 * allowlist, read from the store as they are now); null for a session.
 */
export async function delegatingToken(db: Executor, caller: Caller): Promise<DelegatingToken | null> {
  if (!caller.token) return null;
  const token = await findTokenById(db, caller.token.orgId, caller.token.id);
  // It authenticated this very request; gone since (its org deleted) it hands on nothing.
  if (!token) throw new NotFound('token');
  return { endsAt: effectiveEnd(token), ipAllowlist: token.ipAllowlist, limited: hasUsageControls(token) ? token : null };
}

/** A member of the org of the given type, active; anything else is "no such" so nothing leaks. */
export async function activeMember(db: Executor, org: Org, userId: string, type: UserType): Promise<User> {
  const what = type === 'user' ? 'member' : 'service account';
  const user = await findUserById(db, userId);
  const membership = user ? await findMembership(db, org.id, userId) : undefined;
  if (!user || !membership || user.type !== type || (type === 'service_account' && user.orgId !== org.id)) {
    throw new NotFound(what);
  }
  if (user.status !== 'active') throw new PolicyViolation('user_deactivated', `The ${what} is deactivated.`, { field: 'owner' });
  return user;
}

/**
 * The member the caller may impersonate now: an active member other than themselves, whose power
 * does not go beyond the caller's (an admin cannot become the owner), and a site admin only for
 * another site admin. Creating and rotating an impersonation token both ask this.
 */
export async function impersonationTarget(db: Executor, access: OrgAccess, userId: string): Promise<User> {
  const { org, caller } = access;
  if (userId === caller.user.id) {
    throw new PolicyViolation('impersonation_not_allowed', 'Create your own tokens directly instead of impersonating yourself.', { field: 'user' });
  }
  const owner = await activeMember(db, org, userId, 'user');
  const membership = (await findMembership(db, org.id, owner.id))!;
  const beyond = (await rolePermissions(db, org, membership.role)).filter((p) => !hasPermission(access, p));
  if (beyond.length > 0) {
    throw new Forbidden(`This member holds permissions you do not: ${beyond.join(', ')}; you cannot impersonate them.`);
  }
  if (owner.siteAdmin && !isSiteAdmin(caller)) throw new Forbidden('Only a site admin may impersonate a site admin.');
  return owner;
}

/**
 * Whether the caller acts on this token as its owner. A person owns all their tokens. A service
 * account's tokens were approved one by one by a `tokens.manage` holder, so a token of the
 * account owns only itself: it must not mint, revoke or disable its siblings.
 */
export function ownsToken(caller: Caller, token: Pick<Token, 'id' | 'ownerId'>): boolean {
  if (token.ownerId !== caller.user.id) return false;
  return caller.user.type !== 'service_account' || caller.token?.id === token.id;
}

/**
 * Whether the caller stands for a service account without `tokens.manage`: it sees and acts on the
 * token it presented, and nothing else of its account's.
 */
export function confinedToItself(access: OrgAccess): boolean {
  return access.caller.user.type === 'service_account' && !hasPermission(access, 'tokens.manage');
}

/**
 * A token the caller may see and act on: their own, any non-impersonation token with
 * `tokens.manage`, impersonation tokens only with `tokens.impersonate`. Anything else is 404.
 */
export async function actionableToken(db: Executor, access: OrgAccess, tokenId: string): Promise<Token> {
  const token = await findTokenById(db, access.org.id, tokenId);
  if (!token) throw new NotFound('token');
  const visible = token.impersonation
    ? hasPermission(access, 'tokens.impersonate')
    : ownsToken(access.caller, token) || hasPermission(access, 'tokens.manage');
  if (!visible) throw new NotFound('token');
  return token;
}

/**
 * What a route acting on one token needs whatever its body, asked before the body is validated
 * (DESIGN §3): the org, the `keyward:tokens:write` scope for a token caller, a caller that may mint
 * when the action hands out a secret, and a token the caller may see (404 otherwise). A malformed
 * token id is left to validation. The use case asks it all again, inside its transaction.
 */
/** What a route does to a token: change it, set its credits (a manager's power), or rotate it. */
export type TokenAction = 'change' | 'credits' | 'rotate';

export async function authorizeTokenAction(db: Executor, caller: Caller, orgId: string, tokenId: string | undefined, action: TokenAction): Promise<void> {
  const access = await orgAccess(db, caller, orgId);
  if (action === 'rotate') assertMayMint(caller);
  if (action === 'credits') requirePermission(access, 'tokens.manage', 'write');
  requireScope(caller, managementScopeFor('tokens.own', 'write'));
  if (tokenId !== undefined) await actionableToken(db, access, tokenId);
}

/**
 * What creating a token needs whatever its body: a caller that may mint, holding `tokens.create`
 * or `tokens.manage` (only `tokens.manage` for a service account's own token), with its scope.
 */
export async function authorizeTokenCreation(db: Executor, caller: Caller, orgId: string): Promise<void> {
  const access = await orgAccess(db, caller, orgId);
  assertMayMint(caller);
  if (caller.user.type === 'service_account') requirePermission(access, 'tokens.manage', 'write');
  else requireAnyPermission(access, ['tokens.create', 'tokens.manage'], 'write');
}

/** What creating an impersonation token needs whatever its body. */
export async function authorizeImpersonation(db: Executor, caller: Caller, orgId: string): Promise<void> {
  const access = await orgAccess(db, caller, orgId);
  assertMayMint(caller);
  requirePermission(access, 'tokens.impersonate', 'write');
}

/**
 * Whether the caller manages this token as more than its owner: `tokens.manage` for ordinary
 * tokens, `tokens.impersonate` for impersonation tokens.
 */
export function managesToken(access: OrgAccess, token: Token): boolean {
  return hasPermission(access, token.impersonation ? 'tokens.impersonate' : 'tokens.manage');
}
