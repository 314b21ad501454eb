import type { MeView, MyOrgView } from '../contract/index.js';
import { managementScopeFor } from '../core/permissions.js';
import { DEFAULT_POLICY } from '../core/policy.js';
import { findOrgById, membershipsOfUser } from '../store/orgs.js';
import { findTokenById } from '../store/tokens.js';
import { hasManagementScope, isSiteAdmin, orgAccess, rolePermissions, type Caller, type CallerToken } from './access.js';
import type { ServiceContext } from './context.js';
import { liveFacts, tokenView } from './tokens/view.js';
import { userView } from './users.js';

/**
 * Who the caller is and what they may do where. A token caller sees only its own org, with the
 * permissions it holds there (for an impersonation token: the owner's ∩ the creator's) that its
 * `keyward:*` scopes let it exercise, and the token itself.
 */
export async function describeCaller(ctx: ServiceContext, caller: Caller): Promise<MeView> {
  if (caller.token && !hasManagementScope(caller.token)) return describeProductToken(ctx, caller, caller.token);
  const orgs: MyOrgView[] = [];
  let warningWindowDays = 14;
  for (const membership of await membershipsOfUser(ctx.db, caller.user.id)) {
    if (caller.token && membership.orgId !== caller.token.orgId) continue;
    const org = await findOrgById(ctx.db, membership.orgId);
    if (!org) continue;
    let permissions = await rolePermissions(ctx.db, org, membership.role);
    if (caller.token) {
      const { permissions: held } = await orgAccess(ctx.db, caller, org.id);
      const scopes = caller.token.scopes;
      permissions = permissions.filter(
        (p) => held.has(p) && (scopes.has(managementScopeFor(p, 'read')) || scopes.has(managementScopeFor(p, 'write'))),
      );
      warningWindowDays = org.tokenPolicy.warning_window_days;
    }
    orgs.push({ id: org.id, name: org.name, slug: org.slug, role: membership.role, permissions });
  }
  const token = caller.token ? await findTokenById(ctx.db, caller.token.orgId, caller.token.id) : undefined;
  return {
    user: userView({ ...caller.user, siteAdmin: isSiteAdmin(caller) }),
    token: token
      ? tokenView(token, { nowMs: ctx.clock.now(), warningWindowDays, ownerType: caller.user.type, ...liveFacts(ctx, token, ctx.clock.now()) })
      : null,
    orgs,
  };
}

/**
 * A token made for the product's API (no `keyward:*` scope) learns only its own facts: the token
 * and its owner's id and type. Not the owner's email or name, nor the org's name or the owner's
 * role there — a leaked CI token must not tell who is behind it.
 */
async function describeProductToken(ctx: ServiceContext, caller: Caller, callerToken: CallerToken): Promise<MeView> {
  const token = await findTokenById(ctx.db, callerToken.orgId, callerToken.id);
  const org = await findOrgById(ctx.db, callerToken.orgId);
  const { user } = caller;
  return {
    user: { ...userView({ ...user, siteAdmin: false }), email: null, name: '' },
    token: token
      ? tokenView(token, {
          nowMs: ctx.clock.now(),
          warningWindowDays: org?.tokenPolicy.warning_window_days ?? DEFAULT_POLICY.warning_window_days,
          ownerType: user.type,
          ...liveFacts(ctx, token, ctx.clock.now()),
        })
      : null,
    orgs: [],
  };
}
