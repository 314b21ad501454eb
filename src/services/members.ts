import type { AddMemberRequest, MembershipView } from '../contract/index.js';
import { Conflict, NotFound, PolicyViolation } from '../core/errors.js';
import type { Member, User } from '../core/model.js';
import { isoRequired } from '../core/time.js';
import type { Executor } from '../store/db.js';
import { countOtherActiveHolders, deleteMembership, findMember, listMembers as listMemberRows, lockOwnersAnd, updateMembershipRole } from '../store/members.js';
import { findMembership, insertMembership } from '../store/orgs.js';
import { orgAccess, requireAnyPermission, requirePermission, rolePermissions, type Caller, type OrgAccess } from './access.js';
import { actorOf, recordAudit, type AuditActor } from './audit.js';
import { conflictOnDuplicate } from './conflicts.js';
import type { ServiceContext } from './context.js';
import { mapPage, pageOf, rowsToFetch, type Page, type PageRequest } from './pages.js';
import { assignableRolePermissions, requireMayAssign } from './roles.js';
import { suspendOwnerTokens } from './tokens/transitions.js';
import { findPerson } from './users.js';

export function membershipView(member: Member): MembershipView {
  return { org_id: member.orgId, user: member.user, role: member.role, created_at: isoRequired(member.createdAt) };
}

/**
 * Members in user id order. Managers of members and of tokens need the list (to assign roles,
 * to pick an owner or an impersonation target); plain members do not see it.
 */
export async function listMembers(ctx: ServiceContext, caller: Caller, orgId: string, page: PageRequest): Promise<Page<MembershipView>> {
  const access = await orgAccess(ctx.db, caller, orgId);
  requireAnyPermission(access, ['members.manage', 'tokens.manage', 'tokens.impersonate'], 'read');
  const members = await listMemberRows(ctx.db, orgId, { cursor: page.cursor, limit: rowsToFetch(page) });
  return mapPage(pageOf(members, page, (m) => m.userId), membershipView);
}

/** Inserts a membership and its `member.added` event (also used when an org is created with an owner). */
export async function addMembership(trx: Executor, actor: AuditActor, orgId: string, user: User, role: string, now: number): Promise<Member> {
  await insertMembership(trx, { orgId, userId: user.id, role, createdAt: now });
  await recordAudit(trx, actor, { orgId, action: 'member.added', target: { type: user.type, id: user.id }, details: { role } }, now);
  const { id, email, name, type, status } = user;
  return { orgId, userId: user.id, role, createdAt: now, user: { id, email, name, type, status } };
}

export async function addMember(ctx: ServiceContext, caller: Caller, orgId: string, input: AddMemberRequest): Promise<MembershipView> {
  const now = ctx.clock.now();
  const already = 'This user is a member already.';
  const member = await conflictOnDuplicate(already, () =>
    ctx.db.transaction().execute(async (trx) => {
      const access = await orgAccess(trx, caller, orgId);
      requirePermission(access, 'members.manage', 'write');
      const user = await findPerson(trx, { userId: input.user_id, email: input.email });
      requireMayAssign(access, input.role, await assignableRolePermissions(trx, access.org, input.role));
      if (await findMembership(trx, orgId, user.id)) throw new Conflict(already);
      return addMembership(trx, actorOf(caller), orgId, user, input.role, now);
    }),
  );
  ctx.invalidate.owner(member.userId);
  return membershipView(member);
}

/**
 * The member an actor is about to change or remove: they must be able to grant the role the
 * member holds now (an admin cannot touch an owner), and an org keeps at least one owner.
 */
async function memberToChange(trx: Executor, access: OrgAccess, userId: string, leavingRole: boolean): Promise<Member> {
  // Locked first, then read: the role checked below is the one this transaction will change.
  if (leavingRole) await lockOwnersAnd(trx, access.org.id, userId);
  const member = await findMember(trx, access.org.id, userId);
  if (!member) throw new NotFound('member');
  requireMayAssign(access, member.role, await rolePermissions(trx, access.org, member.role));
  if (leavingRole && member.role === 'owner' && (await countOtherActiveHolders(trx, access.org.id, 'owner', userId)) === 0) {
    throw new Conflict('An organization needs at least one owner; make someone else owner first.');
  }
  return member;
}

export async function changeMemberRole(ctx: ServiceContext, caller: Caller, orgId: string, userId: string, role: string): Promise<MembershipView> {
  const now = ctx.clock.now();
  const member = await ctx.db.transaction().execute(async (trx) => {
    const access = await orgAccess(trx, caller, orgId);
    requirePermission(access, 'members.manage', 'write');
    const member = await memberToChange(trx, access, userId, role !== 'owner');
    if (member.role === role) return member;
    if (member.user.type === 'service_account' && role === 'owner') {
      throw new PolicyViolation('role_not_allowed', 'A service account cannot be an owner.', { field: 'role' });
    }
    requireMayAssign(access, role, await assignableRolePermissions(trx, access.org, role));
    await updateMembershipRole(trx, orgId, userId, role);
    await recordAudit(
      trx,
      actorOf(caller),
      { orgId, action: 'member.role_changed', target: { type: member.user.type, id: userId }, details: { from: member.role, to: role } },
      now,
    );
    return { ...member, role };
  });
  // The member's tokens are worth at most their new role's permissions.
  ctx.invalidate.owner(userId);
  return membershipView(member);
}

/** Removes a person from the org; every token they hold there is disabled at once. */
export async function removeMember(ctx: ServiceContext, caller: Caller, orgId: string, userId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const access = await orgAccess(trx, caller, orgId);
    requirePermission(access, 'members.manage', 'write');
    const member = await memberToChange(trx, access, userId, true);
    if (member.user.type === 'service_account') {
      throw new Conflict('Service accounts are not removed but deactivated: DELETE the service account.');
    }
    const actor = actorOf(caller);
    const disabled = await suspendOwnerTokens(trx, actor, userId, orgId, now);
    await deleteMembership(trx, orgId, userId);
    await recordAudit(
      trx,
      actor,
      { orgId, action: 'member.removed', target: { type: 'user', id: userId }, details: { role: member.role, disabled_tokens: disabled.length } },
      now,
    );
  });
  ctx.invalidate.owner(userId);
}
