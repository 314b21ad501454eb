import { Type } from 'typebox';
import { NullableString, Timestamp } from './common.js';

/** An audit event (DESIGN §4): who did what to which object, from where and when. Never a secret. */
export const AuditEventSchema = Type.Object(
  {
    id: Type.String({ description: 'evt_…' }),
    action: Type.String({ description: '<object>.<past tense>, e.g. token.created, member.role_changed.' }),
    actor: Type.Object({
      type: Type.String({ description: 'user, service_account, token or system.' }),
      id: NullableString,
    }),
    impersonator: Type.Optional(
      Type.Object({ id: Type.String() }, { description: 'The admin behind an impersonation token, when one acted.' }),
    ),
    org_id: NullableString,
    target: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()]),
    ip: NullableString,
    user_agent: NullableString,
    created_at: Timestamp,
    details: Type.Object({}, { additionalProperties: true, description: 'Ids, names, scopes, reasons; never a secret.' }),
  },
  { $id: 'AuditEvent' },
);
