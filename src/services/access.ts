import type { LimitStatus } from '../core/limit-status.js';
import { Forbidden, InsufficientScope, InvalidToken, NotFound } from '../core/errors.js';
import {
  builtInPermissions,
  isBuiltInRole,
  isManagementScope,
  LEAST_MANAGEMENT_SCOPE,
  managementScopeFor,
  PERMISSIONS,
  type Access,
  type Permission,
} from '../core/permissions.js';
import type { Org, User } from '../core/model.js';
import type { Executor } from '../store/db.js';
import { findMembership, findOrgById, findRole } from '../store/orgs.js';
import { findUserById } from '../store/users.js';

export type RequestMeta = { ip: string | null; userAgent: string | null };

/** The access token a request authenticated with, as far as authorization cares. */
export type CallerToken = {
  id: string;
  orgId: string;
  scopes: ReadonlySet<string>;
  impersonation: boolean;
  createdBy: string;
  /** A limited token's limits after this request (for the RateLimit headers). */
  limits?: readonly LimitStatus[];
};

/** Who is calling: a user by session, or a token's owner (user or service account). */
export type Caller = {
  user: User;
  token: CallerToken | null;
  meta: RequestMeta;
  /** The CLI working on the server's own data: a site admin with no account, audited as `system`. */
  operator?: boolean;
};

/** The caller for operator commands of the CLI (whoever can read the data directory is root). */
export function operatorCaller(nowMs: number): Caller {
  return {
    user: {
      id: 'system',
      type: 'user',
      email: null,
      name: 'Keyward operator',
      passwordHash: null,
      status: 'active',
      siteAdmin: true,
      orgId: null,
      description: null,
      createdBy: null,
      createdAt: nowMs,
      deactivatedAt: null,
    },
    token: null,
    meta: { ip: null, userAgent: 'keyward-cli' },
    operator: true,
  };
}

/** A caller's standing in one org. */
export type OrgAccess = {
  org: Org;
  caller: Caller;
  /**
   * Built-in role name or custom role id; null for a site admin acting from outside, and for an
   * impersonation token of an owner whose creator is no owner (the owner role is not lent out).
   */
  role: string | null;
  permissions: ReadonlySet<Permission>;
};

/** The permissions a role name or custom role id grants in an org. */
export async function rolePermissions(db: Executor, org: Org, role: string): Promise<Permission[]> {
  if (isBuiltInRole(role)) return builtInPermissions(role, org.tokenPolicy.self_service);
  return (await findRole(db, org.id, role))?.permissions ?? [];
}

/** A user's own standing in an org, as their session has it; null when they have none there. */
export type Standing = { role: string | null; permissions: ReadonlySet<Permission> };

export async function standingIn(db: Executor, org: Org, user: User): Promise<Standing | null> {
  if (user.status !== 'active') return null;
  // Site admins act in any org with every permission; their actions are audited as themselves.
  if (user.siteAdmin) return { role: (await findMembership(db, org.id, user.id))?.role ?? null, permissions: new Set(PERMISSIONS) };
  return memberStanding(db, org, user);
}

/**
 * A member's standing by their role alone, without a site admin's reach: what an org-bound token
 * of theirs is backed by (the verify path's effective scopes ask the same role).
 */
async function memberStanding(db: Executor, org: Org, user: User): Promise<Standing | null> {
  if (user.status !== 'active') return null;
  const membership = await findMembership(db, org.id, user.id);
  if (!membership) return null;
  return { role: membership.role, permissions: new Set(await rolePermissions(db, org, membership.role)) };
}

/**
 * Resolves the caller's access to an org. Orgs the caller may not see are 404, never 403, so
 * their existence is not revealed; a token only ever reaches its own org, and acts there with its
 * owner's role — a site admin's every-permission reach is their session's, never a token's.
 */
export async function orgAccess(db: Executor, caller: Caller, orgId: string): Promise<OrgAccess> {
  if (caller.token && caller.token.orgId !== orgId) throw new NotFound('organization');
  const org = await findOrgById(db, orgId);
  if (!org) throw new NotFound('organization');
  if (caller.token?.impersonation) return impersonatedAccess(db, caller, caller.token, org);
  const standing = caller.token ? await memberStanding(db, org, caller.user) : await standingIn(db, org, caller.user);
  if (!standing) throw new NotFound('organization');
  return { org, caller, ...standing };
}

/**
 * An impersonation token acts as its owner's membership — never as a site admin — and only as far
 * as its creator could still go: owner's permissions ∩ creator's current ones. A creator who may
 * no longer impersonate (demoted, removed, deactivated) has taken the token down with them.
 */
async function impersonatedAccess(db: Executor, caller: Caller, token: CallerToken, org: Org): Promise<OrgAccess> {
  const membership = await findMembership(db, org.id, caller.user.id);
  if (!membership || caller.user.status !== 'active') throw new NotFound('organization');
  const creator = await findUserById(db, token.createdBy);
  const lender = creator ? await standingIn(db, org, creator) : null;
  if (!lender?.permissions.has('tokens.impersonate')) {
    throw new InvalidToken('The creator of this impersonation token may no longer impersonate.');
  }
  const own = await rolePermissions(db, org, membership.role);
  return {
    org,
    caller,
    role: membership.role === 'owner' && lender.role !== 'owner' ? null : membership.role,
    permissions: new Set(own.filter((p) => lender.permissions.has(p))),
  };
}

/** A token caller must carry the `keyward:*` scope the operation needs (RFC 6750 403). */
export function requireScope(caller: Caller, scope: string): void {
  if (caller.token && !caller.token.scopes.has(scope)) throw new InsufficientScope(scope);
}

/**
 * Reading the management API takes some `keyward:*` scope: a token made for the product's API
 * (`devices:read`) learns nothing of its org's plan, features, policy or people. The scope named
 * in the challenge is the least one that would do.
 */
export function requireManagementScope(caller: Caller): void {
  if (caller.token && !hasManagementScope(caller.token)) throw new InsufficientScope(LEAST_MANAGEMENT_SCOPE);
}

export function hasManagementScope(token: CallerToken): boolean {
  for (const scope of token.scopes) if (isManagementScope(scope)) return true;
  return false;
}

export function requirePermission(access: OrgAccess, permission: Permission, mode: Access): void {
  if (!access.permissions.has(permission)) throw new Forbidden(`This needs the ${permission} permission.`);
  requireScope(access.caller, managementScopeFor(permission, mode));
}

/**
 * Passes when the caller holds one of `permissions`; a token caller must also carry the
 * `keyward:*` scope of one it holds. For what several kinds of manager may do.
 */
export function requireAnyPermission(access: OrgAccess, permissions: readonly Permission[], mode: Access): void {
  const held = permissions.filter((p) => access.permissions.has(p));
  if (held.length === 0) throw new Forbidden(`This needs one of the permissions ${permissions.join(', ')}.`);
  const token = access.caller.token;
  const scopes = held.map((p) => managementScopeFor(p, mode));
  if (token && !scopes.some((s) => token.scopes.has(s))) throw new InsufficientScope(scopes[0]!);
}

/**
 * What a route needs in an org whatever its body (DESIGN §3: 403, or 404 for an org the caller
 * cannot see, before a body is validated): the org, and one of `permissions` with its scope.
 * Routes ask it before validation; their use case asks again, where it acts.
 */
export async function authorizeInOrg(db: Executor, caller: Caller, orgId: string, permissions: readonly Permission[], mode: Access): Promise<OrgAccess> {
  const access = await orgAccess(db, caller, orgId);
  if (permissions.length === 1) requirePermission(access, permissions[0]!, mode);
  else requireAnyPermission(access, permissions, mode);
  return access;
}

export function hasPermission(access: OrgAccess, permission: Permission): boolean {
  return access.permissions.has(permission);
}

/**
 * Site-admin powers are a site admin's own session's (or the operator CLI's), never a token's:
 * every token is bound to one org, and deployment-wide operations (people, orgs, plans and
 * features, verifiers, the deployment log) would let it act beyond that org — for instance
 * create a site admin and sign in as them. Whatever its scopes, a token is no site admin.
 */
export function isSiteAdmin(caller: Caller): boolean {
  return caller.user.siteAdmin && caller.user.status === 'active' && caller.token === null;
}

export function requireSiteAdmin(caller: Caller): void {
  if (isSiteAdmin(caller)) return;
  throw new Forbidden(
    caller.token ? "Deployment-wide operations take a site admin's signed-in session; no token can do them." : 'Only site admins may do this.',
  );
}
