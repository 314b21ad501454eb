/** Management permissions of DESIGN §1 and the built-in roles that bundle them. */
export const PERMISSIONS = [
  'tokens.create',
  'tokens.manage',
  'tokens.impersonate',
  'members.manage',
  'roles.manage',
  'org.manage',
  'audit.read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export const BUILT_IN_ROLES = ['owner', 'admin', 'member'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

export function isBuiltInRole(value: string): value is BuiltInRole {
  return (BUILT_IN_ROLES as readonly string[]).includes(value);
}

/** A built-in role's permissions; `member` loses `tokens.create` when self-service is off. */
export function builtInPermissions(role: BuiltInRole, selfService: boolean): Permission[] {
  switch (role) {
    case 'owner':
      return [...PERMISSIONS];
    case 'admin':
      return PERMISSIONS.filter((p) => p !== 'org.manage');
    case 'member':
      return selfService ? ['tokens.create'] : [];
  }
}

/**
 * The `keyward:*` scope a token needs to exercise a permission through the management API.
 * Reading and writing tokens are split so a read-only automation cannot mint or revoke.
 */
export type Access = 'read' | 'write';

export function managementScopeFor(permission: Permission | 'tokens.own', access: Access): string {
  switch (permission) {
    case 'tokens.own':
    case 'tokens.create':
    case 'tokens.manage':
    case 'tokens.impersonate':
      return access === 'read' ? 'keyward:tokens:read' : 'keyward:tokens:write';
    case 'audit.read':
      return 'keyward:audit:read';
    case 'members.manage':
    case 'roles.manage':
    case 'org.manage':
      return 'keyward:admin';
  }
}

/** Keyward's own scopes (`keyward:*`), which reach the management API; the rest are the product's. */
export const MANAGEMENT_SCOPE_PREFIX = 'keyward:';

export function isManagementScope(scope: string): boolean {
  return scope.startsWith(MANAGEMENT_SCOPE_PREFIX);
}

/** The least management scope: what a challenge names when any `keyward:*` scope would do. */
export const LEAST_MANAGEMENT_SCOPE = 'keyward:tokens:read';
