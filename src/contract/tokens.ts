import { Type, type Static } from 'typebox';
import { USER_TYPES } from '../core/model.js';
import { DESCRIPTION_MAX, NAME_MAX } from '../core/names.js';
import { DEFAULT_SELF_GRACE_SECONDS, MAX_GRACE_PERIOD_SECONDS, TOKEN_KINDS } from '../core/policy.js';
import { DISABLED_REASONS, TOKEN_STATUSES } from '../core/token-status.js';
import { NullableUsageLimit, RateLimitsField, rateLimitsField, RecentIpSchema, UsageLimitChange } from './usage.js';
import { Id, Nullable, NullableEnum, NullableString, NullableTimestamp, OrgParams, PageQuery, Ref, StringEnum, Timestamp } from './kit.js';

/** A token as every client sees it (DESIGN §4 "Token object"): metadata only, never the secret. */
export const TokenSchema = Type.Object(
  {
    id: Type.String({ description: 'tok_…' }),
    org_id: Type.String(),
    name: Type.String(),
    description: NullableString,
    kind: StringEnum(TOKEN_KINDS),
    scopes: Type.Array(Type.String()),
    hint: Type.String({ description: 'The first and last characters of the secret, e.g. kw_AbC1…x9Qz.' }),
    owner: Type.Object({ type: StringEnum(USER_TYPES), id: Type.String() }),
    created_by: Type.Object({ id: Type.String() }),
    impersonation: Type.Boolean(),
    created_at: Timestamp,
    expires_at: Type.Unsafe<string | null>({
      ...NullableTimestamp,
      description: 'When it stops working: its expiry, or the end of its grace period once rotated.',
    }),
    last_used_at: NullableTimestamp,
    last_used_ip: NullableString,
    status: StringEnum(TOKEN_STATUSES),
    expiring_soon: Type.Boolean({ description: "Active and inside the org's warning window." }),
    revoked_at: NullableTimestamp,
    disabled_reason: NullableEnum(DISABLED_REASONS, { description: 'Why a disabled token is disabled.' }),
    ip_allowlist: Type.Array(Type.String()),
    rotated_from: NullableString,
    replaced_by: NullableString,
    rate_limits: RateLimitsField,
    usage_limit: NullableUsageLimit,
    recent_ips: Type.Array(RecentIpSchema, { description: 'The last 5 distinct client addresses it was used from, newest first.' }),
  },
  { $id: 'Token' },
);

/** The only token responses that carry a secret: create, impersonation create and rotate. */
export const TokenWithSecretSchema = Type.Object({
  token: Ref(TokenSchema),
  secret: Type.String({ description: 'Shown once; Keyward keeps only its hash.' }),
});

/** The fields of every token-minting body (create, impersonation create). */
export const NewTokenFields = {
  name: Type.String({ minLength: 1, maxLength: NAME_MAX, description: `1–${NAME_MAX} characters once trimmed.` }),
  description: Type.Optional(Nullable(Type.String({ maxLength: DESCRIPTION_MAX }))),
  scopes: Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: 100, uniqueItems: true }),
  expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500, description: "One of the org's presets." })),
  expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'A custom expiry (ISO 8601).' })),
  kind: Type.Optional(StringEnum(TOKEN_KINDS, { default: 'api_key' })),
  ip_allowlist: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100, description: 'IPs and CIDRs it may be used from.' })),
  rate_limits: Type.Optional(rateLimitsField("Default: the org policy's default_rate_limits.")),
  usage_limit: Type.Optional(NullableUsageLimit),
};

export const ImpersonationTokenBody = Type.Object(NewTokenFields, { additionalProperties: false });

export const CreateTokenBody = Type.Object(
  {
    ...NewTokenFields,
    owner_id: Type.Optional(Type.String({ maxLength: 64, description: 'A service account of this org (needs tokens.manage).' })),
  },
  { additionalProperties: false },
);

export const RenameTokenBody = Type.Object(
  {
    name: Type.Optional(NewTokenFields.name),
    description: NewTokenFields.description,
    usage_limit: Type.Optional(UsageLimitChange),
  },
  { additionalProperties: false, minProperties: 1 },
);

const gracePeriod = (defaultSeconds: number) =>
  Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: MAX_GRACE_PERIOD_SECONDS,
      default: defaultSeconds,
      description: 'How long the old token keeps working (0 = revoke it now; at most 7 days).',
    }),
  );

export const RotateTokenBody = Type.Object({ grace_period_seconds: gracePeriod(0) }, { additionalProperties: false });

export const SelfRotateBody = Type.Object({ grace_period_seconds: gracePeriod(DEFAULT_SELF_GRACE_SECONDS) }, { additionalProperties: false });

export const ListTokensQuery = Type.Object({
  owner: Type.Optional(Type.String({ maxLength: 64, default: 'me', description: '`me`, `all` or a user id.' })),
  status: Type.Optional(StringEnum(TOKEN_STATUSES)),
  kind: Type.Optional(StringEnum(TOKEN_KINDS)),
  q: Type.Optional(Type.String({ maxLength: 100, description: 'A part of the name.' })),
  expiring: Type.Optional(Type.Boolean({ description: 'Only active tokens inside the warning window.' })),
  ...PageQuery,
});

export const TokenParams = Type.Object({ ...OrgParams.properties, id: Id('tok_…') });

export type TokenView = Static<typeof TokenSchema>;
export type TokenWithSecret = Static<typeof TokenWithSecretSchema>;
export type NewTokenRequest = Static<typeof ImpersonationTokenBody>;
export type CreateTokenRequest = Static<typeof CreateTokenBody>;
export type RenameTokenRequest = Static<typeof RenameTokenBody>;
export type ListTokensRequest = Static<typeof ListTokensQuery>;
