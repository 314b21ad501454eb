import { Type } from 'typebox';
import type { UserRow } from '../../store/schema.js';
import { isoRequired } from '../../core/time.js';
import { NullableString, Timestamp } from './common.js';

export const ServiceAccountSchema = Type.Object({
  id: Type.String({ description: 'svc_…' }),
  org_id: Type.String(),
  name: Type.String(),
  description: NullableString,
  status: Type.Union([Type.Literal('active'), Type.Literal('deactivated')]),
  created_at: Timestamp,
  created_by: Type.Union([Type.Object({ id: Type.String() }), Type.Null()]),
});

export function serviceAccountView(account: UserRow) {
  return {
    id: account.id,
    org_id: account.org_id ?? '',
    name: account.name,
    description: account.description,
    status: account.status,
    created_at: isoRequired(account.created_at),
    created_by: account.created_by === null ? null : { id: account.created_by },
  };
}
