import { Type, type Static } from 'typebox';
import { DESCRIPTION_MAX, ROLE_NAME_MAX } from '../core/names.js';
import { PERMISSIONS } from '../core/permissions.js';
import { Id, Nullable, NullableString, NullableTimestamp, OrgParams, StringEnum } from './kit.js';

export const PermissionSchema = StringEnum(PERMISSIONS);

export const RoleSchema = Type.Object({
  id: Type.String({ description: 'rol_… for a custom role; the name for a built-in one.' }),
  name: Type.String(),
  description: NullableString,
  permissions: Type.Array(PermissionSchema),
  built_in: Type.Boolean({ description: 'Built-in roles are read-only.' }),
  created_at: NullableTimestamp,
});

export const RoleParams = Type.Object({ ...OrgParams.properties, role: Id('The custom role id (rol_…).') });

const Name = Type.String({ minLength: 1, maxLength: ROLE_NAME_MAX });
const Description = Nullable(Type.String({ maxLength: DESCRIPTION_MAX }));
const Permissions = Type.Array(PermissionSchema, { maxItems: 20 });

export const CreateRoleBody = Type.Object(
  { name: Name, description: Type.Optional(Description), permissions: Permissions },
  { additionalProperties: false },
);

export const UpdateRoleBody = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Description), permissions: Type.Optional(Permissions) },
  { additionalProperties: false },
);

export type RoleView = Static<typeof RoleSchema>;
export type CreateRoleRequest = Static<typeof CreateRoleBody>;
export type UpdateRoleRequest = Static<typeof UpdateRoleBody>;
