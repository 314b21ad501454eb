import { Type } from 'typebox';
import type { UserRow } from '../../store/schema.js';
import { isoRequired } from '../../core/time.js';

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    name: Type.String(),
    site_admin: Type.Boolean(),
    status: Type.Union([Type.Literal('active'), Type.Literal('deactivated')]),
    type: Type.Union([Type.Literal('user'), Type.Literal('service_account')]),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'User' },
);

export function userView(user: UserRow) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    site_admin: user.site_admin === 1,
    status: user.status,
    type: user.type,
    created_at: isoRequired(user.created_at),
  };
}
