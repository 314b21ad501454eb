import { Type } from 'typebox';
import { PERMISSIONS } from '../../core/permissions.js';
import type { Role } from '../../services/roles.js';
import { iso } from '../../core/time.js';
import { NullableString, NullableTimestamp } from './common.js';

export const PermissionSchema = Type.Enum(PERMISSIONS);

export const RoleSchema = Type.Object({
  id: Type.String({ description: 'rol_… for a custom role; the name for a built-in one.' }),
  name: Type.String(),
  description: NullableString,
  permissions: Type.Array(PermissionSchema),
  built_in: Type.Boolean({ description: 'Built-in roles are read-only.' }),
  created_at: NullableTimestamp,
});

export function roleView(role: Role) {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: role.permissions,
    built_in: role.builtIn,
    created_at: iso(role.createdAt),
  };
}
