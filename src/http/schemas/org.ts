import { Type } from 'typebox';
import type { Config } from '../../config.js';
import { TOKEN_KINDS } from '../../core/policy.js';
import { tokensEnabled } from '../../services/orgs.js';
import type { Org } from '../../store/orgs.js';
import { isoRequired } from '../../core/time.js';
import { Timestamp } from './common.js';

const Kind = Type.Enum(TOKEN_KINDS);
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
  allowed_kinds: Type.Array(Kind, { maxItems: TOKEN_KINDS.length }),
  accept_x_api_key: Type.Boolean({ description: 'Whether the legacy X-API-Key header is accepted.' }),
};

export const OrgSchema = Type.Object({
  id: Type.String({ description: 'org_…' }),
  name: Type.String(),
  slug: Type.String(),
  plan: Type.String(),
  features: Type.Array(Type.String()),
  token_policy: Type.Object(TokenPolicyFields),
  tokens_enabled: Type.Boolean({ description: "False when the org's plan does not include API tokens." }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

/** Plan and feature names: lowercase identifiers the deployment defines. */
export const EntitlementName = Type.String({ pattern: '^[a-z][a-z0-9_]{0,49}$' });

export function orgView(org: Org, config: Config) {
  return {
    id: org.id,
    name: org.name,
    slug: org.slug,
    plan: org.plan,
    features: org.features,
    token_policy: org.tokenPolicy,
    tokens_enabled: tokensEnabled(config, org),
    created_at: isoRequired(org.createdAt),
    updated_at: isoRequired(org.updatedAt),
  };
}
