import { Type, type Static } from 'typebox';
import { AUDIT_FORMATS } from '../core/audit-formats.js';
import { ACTOR_TYPES } from '../core/model.js';
import { NullableString, PageQuery, StringEnum, Timestamp } from './kit.js';

/** An audit event (DESIGN §4): who did what to which object, from where and when. Never a secret. */
export const AuditEventSchema = Type.Object(
  {
    id: Type.String({ description: 'evt_…' }),
    action: Type.String({ description: '<object>.<past tense>, e.g. token.created, member.role_changed.' }),
    actor: Type.Object({ type: StringEnum(ACTOR_TYPES), id: NullableString }),
    impersonator: Type.Optional(
      Type.Object({ id: Type.String() }, { description: 'The admin behind an impersonation token, when one acted.' }),
    ),
    org_id: NullableString,
    target: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()]),
    ip: NullableString,
    user_agent: NullableString,
    created_at: Timestamp,
    details: Type.Unsafe<Record<string, unknown>>({
      type: 'object',
      additionalProperties: true,
      description: 'Ids, names, scopes, reasons; never a secret.',
    }),
  },
  { $id: 'AuditEvent' },
);

const instant = (bound: string) =>
  Type.String({
    maxLength: 40,
    description: `Only events ${bound} this time: an ISO 8601 date (UTC midnight) or date-time with a zone.`,
  });

export const AuditEventsQuery = Type.Object({
  action: Type.Optional(
    Type.String({
      maxLength: 100,
      pattern: '^[a-z0-9_]+(\\.[a-z0-9_]+)*(\\.\\*)?$',
      description: 'An exact action (token.revoked) or a family (token.*).',
    }),
  ),
  actor: Type.Optional(Type.String({ maxLength: 64, description: 'The acting user, service account or token id.' })),
  token: Type.Optional(Type.String({ maxLength: 64, description: 'Events whose target is this token (tok_…).' })),
  since: Type.Optional(instant('at or after')),
  until: Type.Optional(instant('before')),
  format: Type.Optional(
    StringEnum(AUDIT_FORMATS, {
      default: 'json',
      description: 'json: one page. csv and ndjson: a download of every matching event (limit and cursor are ignored).',
    }),
  ),
  ...PageQuery,
});

export type AuditEventView = Static<typeof AuditEventSchema>;
export type AuditEventsRequest = Static<typeof AuditEventsQuery>;
