import { managementScopeFor, type Permission } from '../core/permissions.js';
import { findTokenById } from '../store/tokens.js';
import { findOrgById, membershipsOfUser, orgFromRow } from '../store/orgs.js';
import type { TokenRow, UserRow } from '../store/schema.js';
import { isSiteAdmin, orgAccess, rolePermissions, type Caller } from './access.js';
import type { ServiceContext } from './context.js';

export type MyOrg = { id: string; name: string; slug: string; role: string; permissions: Permission[] };
export type Me = { user: UserRow; token: TokenRow | null; warningWindowDays: number; orgs: MyOrg[] };

/**
 * Who the caller is and what they may do where. A token caller sees only its own org, with the
 * permissions it holds there (for an impersonation token: the owner's ∩ the creator's) that its
 * `keyward:*` scopes let it exercise.
 */
export async function describeCaller(ctx: ServiceContext, caller: Caller): Promise<Me> {
  const memberships = await membershipsOfUser(ctx.db, caller.user.id);
  const orgs: MyOrg[] = [];
  let warningWindowDays = 14;
  for (const membership of memberships) {
    if (caller.token && membership.org_id !== caller.token.orgId) continue;
    const row = await findOrgById(ctx.db, membership.org_id);
    if (!row) continue;
    const org = orgFromRow(row);
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
  const token = caller.token ? ((await findTokenById(ctx.db, caller.token.orgId, caller.token.id)) ?? null) : null;
  return { user: { ...caller.user, site_admin: isSiteAdmin(caller) ? 1 : 0 }, token, warningWindowDays, orgs };
}
