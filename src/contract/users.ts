import { Type, type Static } from 'typebox';
import { USER_STATUSES, USER_TYPES } from '../core/model.js';
import { NAME_MAX } from '../core/names.js';
import { StringEnum, Timestamp } from './kit.js';

export const UserSchema = Type.Object(
  {
    id: Type.String({ description: 'usr_… (svc_… for a service account)' }),
    email: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
    name: Type.String(),
    site_admin: Type.Boolean(),
    status: StringEnum(USER_STATUSES),
    type: StringEnum(USER_TYPES),
    created_at: Timestamp,
  },
  { $id: 'User' },
);

/** What every new person gives: in `POST /users` and in first-run setup. */
export const NewUserFields = {
  email: Type.String({ minLength: 3, maxLength: 254 }),
  name: Type.String({ minLength: 1, maxLength: NAME_MAX }),
  password: Type.String({ minLength: 8, maxLength: 1024, description: 'At least 8 characters.' }),
};

export const CreateUserBody = Type.Object(
  { ...NewUserFields, site_admin: Type.Optional(Type.Boolean({ default: false })) },
  { additionalProperties: false },
);

export const SignInBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export const SetupBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 128, description: 'The token of the one-time setup link.' }), ...NewUserFields },
  { additionalProperties: false },
);

export const SetupStatusSchema = Type.Object({ pending: Type.Boolean({ description: 'Whether first-run setup is still open.' }) });

export type UserView = Static<typeof UserSchema>;
export type CreateUserRequest = Static<typeof CreateUserBody>;
export type SignInRequest = Static<typeof SignInBody>;
export type SetupRequest = Static<typeof SetupBody>;
