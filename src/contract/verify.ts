import { Type, type Static } from 'typebox';
import { USER_TYPES } from '../core/model.js';
import { NAME_MAX } from '../core/names.js';
import { TOKEN_KINDS } from '../core/policy.js';
import { VERIFY_CODES } from '../core/verify-codes.js';
import { Id, NullableTimestamp, StringEnum, Timestamp } from './kit.js';
import { CostField, RateLimitStatusSchema } from './usage.js';

/** Where a client may present a token (DESIGN §3). */
export const PRESENTATION_HEADERS = ['authorization', 'x-api-key'] as const;

export const VerifyBody = Type.Object(
  {
    token: Type.String({ maxLength: 8192, description: 'The token the client presented.' }),
    scopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 100,
        description: 'Scopes the request needs; all must be held.',
      }),
    ),
    ip: Type.Optional(
      Type.String({
        maxLength: 64,
        description: "The client's address as the resource server saw it. A token with an IP allowlist fails without it.",
      }),
    ),
    cost: Type.Optional(CostField),
    header: Type.Optional(
      StringEnum(PRESENTATION_HEADERS, {
        description: "The header the client sent the token in. `x-api-key` is refused (DISABLED) for orgs whose policy does not accept it.",
      }),
    ),
  },
  { additionalProperties: false },
);

/** The facts verify gives about a token in force. */
export const VerifiedTokenSchema = Type.Object({
  id: Type.String(),
  org_id: Type.String(),
  owner: Type.Object({ type: StringEnum(USER_TYPES), id: Type.String() }),
  scopes: Type.Array(Type.String(), { description: "Effective scopes: the token's ∩ what its owner and org still allow." }),
  kind: StringEnum(TOKEN_KINDS),
  expires_at: Type.Unsafe<string | null>({ ...NullableTimestamp, description: 'Its expiry, or the end of its grace period once rotated.' }),
  impersonation: Type.Boolean(),
  created_by: Type.Object({ id: Type.String() }),
  limited: Type.Boolean({ description: 'Has rate limits or credits: Keyward must count every use, so its answers are never cached.' }),
});

export const VerifyAnswerSchema = Type.Object({
  valid: Type.Boolean(),
  code: StringEnum(VERIFY_CODES, { description: `One of ${VERIFY_CODES.join(', ')}.` }),
  token: Type.Optional(VerifiedTokenSchema),
  missing_scopes: Type.Optional(Type.Array(Type.String())),
  rate_limits: Type.Optional(
    Type.Array(RateLimitStatusSchema, { description: "A limited token's limits after this verify; present only for tokens with usage controls, whose answers must not be cached." }),
  ),
  usage_remaining: Type.Optional(Type.Integer({ description: 'Credits left, for a token with a usage limit.' })),
  retry_after_seconds: Type.Optional(Type.Integer({ description: 'RATE_LIMITED or USAGE_EXCEEDED: when trying again can help.' })),
});

export const VerifierSchema = Type.Object({
  id: Type.String({ description: 'vrf_…' }),
  name: Type.String(),
  hint: Type.String({ description: 'The first and last characters of the secret, e.g. kwv_AbC1…x9Qz.' }),
  created_at: Timestamp,
  last_used_at: NullableTimestamp,
  revoked_at: NullableTimestamp,
});

export const VerifierWithSecretSchema = Type.Object({
  verifier: VerifierSchema,
  secret: Type.String({ description: 'Shown once; Keyward keeps only its hash.' }),
});

export const CreateVerifierBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: NAME_MAX, description: 'Which resource server uses it.' }) },
  { additionalProperties: false },
);

export const VerifierParams = Type.Object({ id: Id('The verifier id (vrf_…).') });

export type VerifyRequest = Static<typeof VerifyBody>;
export type VerifiedToken = Static<typeof VerifiedTokenSchema>;
export type VerifyAnswer = Static<typeof VerifyAnswerSchema>;
export type VerifierView = Static<typeof VerifierSchema>;
export type VerifierWithSecret = Static<typeof VerifierWithSecretSchema>;
