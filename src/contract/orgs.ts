import { Type, type Static } from 'typebox';
import { NAME_MAX } from '../core/names.js';
import { TOKEN_KINDS } from '../core/policy.js';
import { EntitlementName, StringEnum, Timestamp } from './kit.js';
import { rateLimitsField } from './usage.js';

const Days = Type.Integer({ minimum: 1, maximum: 36_500 });

/** DESIGN §4 `token_policy`; every field is optional in a PATCH. */
export const TokenPolicyFields = {
  expiration_presets_days: Type.Array(Days, { maxItems: 20, description: 'Expiration presets offered at creation.' }),
  allow_custom_expiration: Type.Boolean(),
  max_lifetime_days: Days,
  expiration_required: Type.Boolean(),
  max_tokens_per_user: Type.Integer({ minimum: 1, maximum: 100_000 }),
  self_service: Type.Boolean({ description: 'Whether members create tokens for themselves.' }),
  warning_window_days: Type.Integer({ minimum: 0, maximum: 365 }),
  allowed_kinds: Type.Array(StringEnum(TOKEN_KINDS), { maxItems: TOKEN_KINDS.length }),
  accept_x_api_key: Type.Boolean({ description: 'Whether the legacy X-API-Key header is accepted.' }),
  default_rate_limits: rateLimitsField('The limits a token gets when its create request names none.'),
};

export const TokenPolicySchema = Type.Object(TokenPolicyFields);

export const OrgSchema = Type.Object({
  id: Type.String({ description: 'org_…' }),
  name: Type.String(),
  slug: Type.String(),
  plan: Type.String(),
  features: Type.Array(Type.String()),
  token_policy: TokenPolicySchema,
  tokens_enabled: Type.Boolean({ description: "False when the org's plan does not include API tokens." }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Features = Type.Array(EntitlementName, { maxItems: 50, description: 'Entitlements such as insights_api.' });
const OrgName = Type.String({ minLength: 1, maxLength: NAME_MAX });

export const CreateOrgBody = Type.Object(
  {
    name: OrgName,
    slug: Type.String({ pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$', description: 'Unique; lowercase letters, digits and hyphens.' }),
    plan: EntitlementName,
    features: Type.Optional(Features),
    owner_email: Type.Optional(Type.String({ maxLength: 254, description: 'An existing user who becomes the first owner.' })),
  },
  { additionalProperties: false },
);

export const UpdateOrgBody = Type.Object(
  {
    name: Type.Optional(OrgName),
    plan: Type.Optional(EntitlementName),
    features: Type.Optional(Features),
    token_policy: Type.Optional(Type.Partial(TokenPolicySchema, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const ScopeSchema = Type.Object({
  name: Type.String({ description: 'resource:action, e.g. devices:read; keyward:* for the management API.' }),
  description: Type.String(),
  feature: Type.Optional(Type.String({ description: 'The entitlement that makes this scope available.' })),
});

export type OrgView = Static<typeof OrgSchema>;
export type TokenPolicyView = Static<typeof TokenPolicySchema>;
export type CreateOrgRequest = Static<typeof CreateOrgBody>;
export type UpdateOrgRequest = Static<typeof UpdateOrgBody>;
export type ScopeView = Static<typeof ScopeSchema>;
