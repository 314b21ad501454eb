import { Type, type Static } from 'typebox';
import { Ref } from './kit.js';
import { PermissionSchema } from './roles.js';
import { TokenSchema } from './tokens.js';
import { UserSchema } from './users.js';

export const MyOrgSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  role: Type.String({ description: 'A built-in role name or a custom role id.' }),
  permissions: Type.Array(PermissionSchema),
});

/**
 * A token without any `keyward:*` scope is answered with its own facts only: `user` then carries
 * just the owner's id and type (email null, name empty) and `orgs` is empty.
 */
export const MeSchema = Type.Object({
  user: Ref(UserSchema),
  token: Type.Union([Ref(TokenSchema), Type.Null()], { description: 'The token this request presented, if any.' }),
  orgs: Type.Array(MyOrgSchema),
});

export type MyOrgView = Static<typeof MyOrgSchema>;
export type MeView = Static<typeof MeSchema>;
