import { Forbidden, InsufficientScope, NotFound } from '../core/errors.js';
import {
  builtInPermissions,
  isBuiltInRole,
  isPermission,
  managementScopeFor,
  PERMISSIONS,
  type Access,
  type Permission,
} from '../core/permissions.js';
import type { Executor } from '../store/db.js';
import { findMembership, findOrgById, findRole, orgFromRow, type Org } from '../store/orgs.js';
import type { UserRow } from '../store/schema.js';

export type RequestMeta = { ip: string | null; userAgent: string | null };

/** The access token a request authenticated with, as far as authorization cares. */
export type CallerToken = {
  id: string;
  orgId: string;
  scopes: ReadonlySet<string>;
  impersonation: boolean;
  createdBy: string;
};

/** Who is calling: a user by session, or a token's owner (user or service account). */
export type Caller = {
  user: UserRow;
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
      password_hash: null,
      status: 'active',
      site_admin: 1,
      org_id: null,
      description: null,
      created_by: null,
      created_at: nowMs,
      deactivated_at: null,
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
  /** Built-in role name or custom role id; null for a site admin acting from outside. */
  role: string | null;
  permissions: ReadonlySet<Permission>;
};

/** The permissions a role name or custom role id grants in an org. */
export async function rolePermissions(db: Executor, org: Org, role: string): Promise<Permission[]> {
  if (isBuiltInRole(role)) return builtInPermissions(role, org.tokenPolicy.self_service);
  const custom = await findRole(db, org.id, role);
  if (!custom) return [];
  return (JSON.parse(custom.permissions) as string[]).filter(isPermission);
}

/**
 * Resolves the caller's access to an org. Orgs the caller may not see are 404, never 403, so
 * their existence is not revealed; a token only ever reaches its own org.
 */
export async function orgAccess(db: Executor, caller: Caller, orgId: string): Promise<OrgAccess> {
  if (caller.token && caller.token.orgId !== orgId) throw new NotFound('organization');
  const row = await findOrgById(db, orgId);
  if (!row) throw new NotFound('organization');
  const org = orgFromRow(row);
  const membership = await findMembership(db, orgId, caller.user.id);
  if (caller.user.site_admin === 1 && caller.user.status === 'active') {
    // Site admins act in any org with every permission; their actions are audited as themselves.
    return { org, caller, role: membership?.role ?? null, permissions: new Set(PERMISSIONS) };
  }
  if (!membership || caller.user.status !== 'active') throw new NotFound('organization');
  return { org, caller, role: membership.role, permissions: new Set(await rolePermissions(db, org, membership.role)) };
}

/** A token caller must carry the `keyward:*` scope the operation needs (RFC 6750 403). */
export function requireScope(caller: Caller, scope: string): void {
  if (caller.token && !caller.token.scopes.has(scope)) throw new InsufficientScope(scope);
}

export function requirePermission(access: OrgAccess, permission: Permission, mode: Access): void {
  if (!access.permissions.has(permission)) throw new Forbidden(`This needs the ${permission} permission.`);
  requireScope(access.caller, managementScopeFor(permission, mode));
}

export function hasPermission(access: OrgAccess, permission: Permission): boolean {
  return access.permissions.has(permission);
}

export function isSiteAdmin(caller: Caller): boolean {
  return caller.user.site_admin === 1 && caller.user.status === 'active';
}

/** Site-admin operations: a token needs `keyward:admin` on top of its owner being a site admin. */
export function requireSiteAdmin(caller: Caller): void {
  if (!isSiteAdmin(caller)) throw new Forbidden('Only site admins may do this.');
  requireScope(caller, 'keyward:admin');
}
