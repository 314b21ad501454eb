import { Type, type Static } from 'typebox';
import { USER_STATUSES, USER_TYPES } from '../core/model.js';
import { DESCRIPTION_MAX, NAME_MAX } from '../core/names.js';
import { Id, Nullable, NullableString, OrgParams, StringEnum, Timestamp } from './kit.js';

export const MembershipSchema = Type.Object({
  org_id: Type.String(),
  user: Type.Object({
    id: Type.String(),
    email: NullableString,
    name: Type.String(),
    type: StringEnum(USER_TYPES),
    status: StringEnum(USER_STATUSES),
  }),
  role: Type.String({ description: 'A built-in role name or a custom role id.' }),
  created_at: Timestamp,
});

const Role = Type.String({ minLength: 1, maxLength: 64, description: 'owner, admin, member, or a custom role id (rol_…).' });

export const MemberParams = Type.Object({ ...OrgParams.properties, user: Id('The user id (usr_… or svc_…).') });

export const AddMemberBody = Type.Object(
  {
    user_id: Type.Optional(Type.String({ maxLength: 64 })),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    role: Role,
  },
  { additionalProperties: false, description: 'Name the user by user_id or by email (one of them).' },
);

export const ChangeRoleBody = Type.Object({ role: Role }, { additionalProperties: false });

export const ServiceAccountSchema = Type.Object({
  id: Type.String({ description: 'svc_…' }),
  org_id: Type.String(),
  name: Type.String(),
  description: NullableString,
  status: StringEnum(USER_STATUSES),
  created_at: Timestamp,
  created_by: Type.Union([Type.Object({ id: Type.String() }), Type.Null()]),
});

export const ServiceAccountParams = Type.Object({ ...OrgParams.properties, id: Id('svc_…') });

export const CreateServiceAccountBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: NAME_MAX }),
    description: Type.Optional(Nullable(Type.String({ maxLength: DESCRIPTION_MAX }))),
  },
  { additionalProperties: false },
);

export type MembershipView = Static<typeof MembershipSchema>;
export type AddMemberRequest = Static<typeof AddMemberBody>;
export type ServiceAccountView = Static<typeof ServiceAccountSchema>;
export type CreateServiceAccountRequest = Static<typeof CreateServiceAccountBody>;
