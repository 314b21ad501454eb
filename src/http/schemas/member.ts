import { Type } from 'typebox';
import type { MemberRow } from '../../store/members.js';
import { isoRequired } from '../../core/time.js';
import { NullableString, Timestamp } from './common.js';

export const MembershipSchema = Type.Object({
  org_id: Type.String(),
  user: Type.Object({
    id: Type.String(),
    email: NullableString,
    name: Type.String(),
    type: Type.Union([Type.Literal('user'), Type.Literal('service_account')]),
    status: Type.Union([Type.Literal('active'), Type.Literal('deactivated')]),
  }),
  role: Type.String({ description: 'A built-in role name or a custom role id.' }),
  created_at: Timestamp,
});

export function membershipView(member: MemberRow) {
  return {
    org_id: member.org_id,
    user: { id: member.user_id, email: member.email, name: member.name, type: member.type, status: member.status },
    role: member.role,
    created_at: isoRequired(member.created_at),
  };
}
