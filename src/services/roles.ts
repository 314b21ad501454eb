import type { CreateRoleRequest, RoleView, UpdateRoleRequest } from '../contract/index.js';
import { Conflict, Forbidden, NotFound, PolicyViolation } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { CustomRole, Org } from '../core/model.js';
import { normalizeDescription, normalizeName, ROLE_NAME_MAX } from '../core/names.js';
import {
  BUILT_IN_ROLES,
  builtInPermissions,
  isBuiltInRole,
  PERMISSIONS,
  type BuiltInRole,
  type Permission,
} from '../core/permissions.js';
import type { Executor } from '../store/db.js';
import { countHolders } from '../store/members.js';
import { findRole, insertRole } from '../store/orgs.js';
import { deleteRole as deleteRoleRow, findRoleByName, listRoles as listRoleRows, updateRole as updateRoleRow } from '../store/roles.js';
import { iso } from '../core/time.js';
import { isSiteAdmin, orgAccess, requireAnyPermission, requirePermission, type Caller, type OrgAccess } from './access.js';
import { changedFields } from './audit-diff.js';
import { actorOf, recordAudit } from './audit.js';
import { conflictOnDuplicate } from './conflicts.js';
import type { ServiceContext } from './context.js';

/** A role as clients see it: built-in ones are read-only and named by their name. */
export type Role = {
  id: string;
  name: string;
  description: string | null;
  permissions: Permission[];
  builtIn: boolean;
  createdAt: number | null;
};

const BUILT_IN_DESCRIPTIONS: Record<BuiltInRole, string> = {
  owner: 'Everything, including the organization settings and token policy.',
  admin: 'Everything but the organization settings.',
  member: 'Creates tokens for themselves, unless the organization turned self-service off.',
};

/** Sorted in the catalog's order, so a role reads the same however it was written. */
function orderedPermissions(permissions: readonly string[]): Permission[] {
  return PERMISSIONS.filter((p) => permissions.includes(p));
}

function customRoleOf(role: CustomRole): Role {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: orderedPermissions(role.permissions),
    builtIn: false,
    createdAt: role.createdAt,
  };
}

export function roleView(role: Role): RoleView {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: role.permissions,
    built_in: role.builtIn,
    created_at: iso(role.createdAt),
  };
}

function builtInRole(role: BuiltInRole, org: Org): Role {
  return {
    id: role,
    name: role,
    description: BUILT_IN_DESCRIPTIONS[role],
    permissions: builtInPermissions(role, org.tokenPolicy.self_service),
    builtIn: true,
    createdAt: null,
  };
}

/** Nobody hands out power they do not have: a role's permissions must be a subset of the actor's. */
export function requireWithinOwnPower(access: OrgAccess, permissions: readonly Permission[]): void {
  const missing = permissions.filter((p) => !access.permissions.has(p));
  if (missing.length > 0) {
    throw new Forbidden(`You cannot grant permissions you do not hold yourself: ${missing.join(', ')}.`);
  }
}

/**
 * Whether the actor may give or take away `role`: the owner role only by an owner or a site
 * admin, any other only within the actor's own permissions.
 */
export function requireMayAssign(access: OrgAccess, role: string, permissions: readonly Permission[]): void {
  if (role === 'owner' && access.role !== 'owner' && !isSiteAdmin(access.caller)) {
    throw new Forbidden('Only an owner may grant or remove the owner role.');
  }
  requireWithinOwnPower(access, permissions);
}

/** The permissions of a role to be assigned: a built-in name or one of the org's custom role ids. */
export async function assignableRolePermissions(db: Executor, org: Org, role: string): Promise<Permission[]> {
  if (isBuiltInRole(role)) return builtInPermissions(role, org.tokenPolicy.self_service);
  const custom = await findRole(db, org.id, role);
  if (!custom) throw new PolicyViolation('unknown_role', `This organization has no role ${role}.`, { field: 'role' });
  return orderedPermissions(custom.permissions);
}

/** Built-in roles first, then the org's custom roles, oldest first. */
export async function listRoles(ctx: ServiceContext, caller: Caller, orgId: string): Promise<RoleView[]> {
  const access = await orgAccess(ctx.db, caller, orgId);
  // Those who assign roles need to see them too.
  requireAnyPermission(access, ['roles.manage', 'members.manage'], 'read');
  const custom = await listRoleRows(ctx.db, orgId);
  return [...BUILT_IN_ROLES.map((r) => builtInRole(r, access.org)), ...custom.map(customRoleOf)].map(roleView);
}

async function requireFreeName(db: Executor, orgId: string, name: string, exceptId?: string): Promise<void> {
  if (isBuiltInRole(name.toLowerCase())) throw new Conflict(`${name} is a built-in role.`);
  const existing = await findRoleByName(db, orgId, name);
  if (existing && existing.id !== exceptId) throw new Conflict(`A role named ${name} exists already.`);
}

export async function createRole(ctx: ServiceContext, caller: Caller, orgId: string, input: CreateRoleRequest): Promise<RoleView> {
  const name = normalizeName(input.name, 'name', ROLE_NAME_MAX);
  const description = normalizeDescription(input.description);
  const permissions = orderedPermissions(input.permissions);
  const now = ctx.clock.now();
  return conflictOnDuplicate(`A role named ${name} exists already.`, () =>
    ctx.db.transaction().execute(async (trx) => {
      const access = await orgAccess(trx, caller, orgId);
      requirePermission(access, 'roles.manage', 'write');
      requireWithinOwnPower(access, permissions);
      await requireFreeName(trx, orgId, name);
      const role: CustomRole = { id: newId('rol', now), orgId, name, description, permissions, createdAt: now };
      await insertRole(trx, role);
      await recordAudit(trx, actorOf(caller), { orgId, action: 'role.created', target: { type: 'role', id: role.id }, details: { name, permissions } }, now);
      return roleView(customRoleOf(role));
    }),
  );
}

/** A custom role of the org by id; built-in roles cannot be edited (409), others' are 404. */
async function customRole(db: Executor, orgId: string, roleId: string): Promise<Role> {
  if (isBuiltInRole(roleId)) throw new Conflict('Built-in roles cannot be changed.');
  const role = await findRole(db, orgId, roleId);
  if (!role) throw new NotFound('role');
  return customRoleOf(role);
}

export async function updateRole(ctx: ServiceContext, caller: Caller, orgId: string, roleId: string, change: UpdateRoleRequest): Promise<RoleView> {
  const now = ctx.clock.now();
  const result = await conflictOnDuplicate('A role of that name exists already.', () =>
    ctx.db.transaction().execute(async (trx) => {
      const access = await orgAccess(trx, caller, orgId);
      requirePermission(access, 'roles.manage', 'write');
      const before = await customRole(trx, orgId, roleId);
      const after: Role = {
        ...before,
        name: change.name !== undefined ? normalizeName(change.name, 'name', ROLE_NAME_MAX) : before.name,
        description: change.description !== undefined ? normalizeDescription(change.description) : before.description,
        permissions: change.permissions !== undefined ? orderedPermissions(change.permissions) : before.permissions,
      };
      // Editing a role changes what its holders may do: the actor must hold its old and new power.
      requireWithinOwnPower(access, [...before.permissions, ...after.permissions]);
      const changes = changedFields(
        { name: before.name, description: before.description, permissions: before.permissions },
        { name: after.name, description: after.description, permissions: after.permissions },
      );
      if (!changes) return { role: before, changed: false };
      if (after.name !== before.name) await requireFreeName(trx, orgId, after.name, roleId);
      await updateRoleRow(trx, { id: roleId, orgId, name: after.name, description: after.description, permissions: after.permissions });
      await recordAudit(trx, actorOf(caller), { orgId, action: 'role.updated', target: { type: 'role', id: roleId }, details: changes }, now);
      return { role: after, changed: true };
    }),
  );
  // Holders' effective token scopes follow their role's permissions.
  if (result.changed) ctx.invalidate.org(orgId);
  return roleView(result.role);
}

export async function deleteRole(ctx: ServiceContext, caller: Caller, orgId: string, roleId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const access = await orgAccess(trx, caller, orgId);
    requirePermission(access, 'roles.manage', 'write');
    const role = await customRole(trx, orgId, roleId);
    if ((await countHolders(trx, orgId, roleId)) > 0) throw new Conflict('Members still hold this role; give them another role first.');
    await deleteRoleRow(trx, orgId, roleId);
    await recordAudit(
      trx,
      actorOf(caller),
      { orgId, action: 'role.deleted', target: { type: 'role', id: roleId }, details: { name: role.name, permissions: role.permissions } },
      now,
    );
  });
  ctx.invalidate.org(orgId);
}
