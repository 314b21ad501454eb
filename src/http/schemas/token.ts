import { Type } from 'typebox';
import { NullableString, NullableTimestamp, Timestamp } from './common.js';

export const TokenSchema = Type.Object(
  {
    id: Type.String({ description: 'tok_…' }),
    org_id: Type.String(),
    name: Type.String(),
    description: NullableString,
    kind: Type.Union([Type.Literal('api_key'), Type.Literal('jwt')]),
    scopes: Type.Array(Type.String()),
    hint: Type.String({ description: 'The first and last characters of the secret, e.g. kw_AbC1…x9Qz.' }),
    owner: Type.Object({ type: Type.Union([Type.Literal('user'), Type.Literal('service_account')]), id: Type.String() }),
    created_by: Type.Object({ id: Type.String() }),
    impersonation: Type.Boolean(),
    created_at: Timestamp,
    expires_at: NullableTimestamp,
    last_used_at: NullableTimestamp,
    last_used_ip: NullableString,
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked'), Type.Literal('disabled')]),
    expiring_soon: Type.Boolean(),
    revoked_at: NullableTimestamp,
    disabled_reason: NullableString,
    ip_allowlist: Type.Array(Type.String()),
    rotated_from: NullableString,
    replaced_by: NullableString,
  },
  { $id: 'Token' },
);

/** The only responses that carry a secret: create, impersonation create and rotate. */
export const TokenWithSecretSchema = Type.Object({
  token: Type.Ref('Token'),
  secret: Type.String({ description: 'Shown once; Keyward keeps only its hash.' }),
});
