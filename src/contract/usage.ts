import { Type, type Static } from 'typebox';
import { USAGE_GRANULARITIES } from '../core/usage-buckets.js';
import { MAX_COST, MAX_RATE_LIMITS, MAX_WINDOW_SECONDS, RATE_LIMIT_NAME_PATTERN, REFILL_INTERVALS } from '../core/usage-limits.js';
import { VERIFY_CODES } from '../core/verify-codes.js';
import { OrgParams, StringEnum, Timestamp } from './kit.js';

/** DESIGN §1 "Usage controls": a token's named rate limits and its credits. */
export const RateLimitSchema = Type.Object(
  {
    name: Type.String({ pattern: RATE_LIMIT_NAME_PATTERN, description: 'Lowercase letters, digits, `_`, `.` and `-`; up to 32 characters.' }),
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Uses allowed in any window of this length.' }),
    window_seconds: Type.Integer({ minimum: 1, maximum: MAX_WINDOW_SECONDS, description: '1 second to 1 day.' }),
  },
  { additionalProperties: false },
);

export const rateLimitsField = (more = '') =>
  Type.Array(RateLimitSchema, {
    maxItems: MAX_RATE_LIMITS,
    description: `Up to ${MAX_RATE_LIMITS} named limits; every verify costs its cost against each (a sliding window). ${more}`.trim(),
  });

export const RateLimitsField = rateLimitsField();

export const UsageRefillSchema = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000_000, description: 'What `remaining` is set back to.' }),
    interval: StringEnum(REFILL_INTERVALS, { description: 'day: at midnight UTC. month: on the 1st, at midnight UTC.' }),
  },
  { additionalProperties: false },
);

export const UsageLimitSchema = Type.Object(
  {
    remaining: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Credits left; each VALID verify spends its cost.' }),
    refill: Type.Optional(Type.Union([UsageRefillSchema, Type.Null()])),
  },
  { additionalProperties: false },
);

export const NullableUsageLimit = Type.Union([UsageLimitSchema, Type.Null()], { description: 'Credits; null for none.' });

export const RecentIpSchema = Type.Object({ ip: Type.String(), last_seen_at: Timestamp });

/** `PATCH …/tokens/{id}` with `usage_limit`: the one power field that may change after creation. */
export const UsageLimitChange = Type.Union([UsageLimitSchema, Type.Null()], { description: 'Set, top up or (null) remove its credits; needs tokens.manage.' });

/** What verify reports of a limited token's counters (for the RateLimit headers). */
export const RateLimitStatusSchema = Type.Object({
  name: Type.String(),
  limit: Type.Integer(),
  window_seconds: Type.Integer(),
  remaining: Type.Integer({ description: 'Uses left in the current window.' }),
  reset_seconds: Type.Integer({ description: 'Seconds until room frees up.' }),
});

export const CostField = Type.Integer({ minimum: 0, maximum: MAX_COST, default: 1, description: `What this use costs against every limit and the credits (0–${MAX_COST}).` });

export const UsageQuery = Type.Object(
  {
    granularity: Type.Optional(StringEnum(USAGE_GRANULARITIES, { default: 'day', description: 'hour (kept 90 days) or day (kept 2 years).' })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Start (inclusive); default 30 days ago.' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'End (exclusive); default now.' })),
  },
  { additionalProperties: false },
);

const CodeCounts = Type.Object(Object.fromEntries(VERIFY_CODES.map((code) => [code, Type.Optional(Type.Integer({ minimum: 0 }))])), {
  description: 'Verifications in the bucket by outcome; codes that did not occur are left out.',
});

export const UsageBucketSchema = Type.Object({ bucket_start: Timestamp, codes: CodeCounts });

export const TokenUsageSchema = Type.Object({ data: Type.Array(UsageBucketSchema) });

export const BusyTokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  total: Type.Integer({ description: 'Verifications in the range.' }),
  codes: CodeCounts,
});

export const OrgUsageSchema = Type.Object({
  data: Type.Array(UsageBucketSchema),
  tokens: Type.Array(BusyTokenSchema, { description: 'The busiest tokens of the range (at most 10), most verifications first.' }),
});

export const OrgUsageParams = OrgParams;

export type RateLimitView = Static<typeof RateLimitSchema>;
export type UsageLimitView = Static<typeof UsageLimitSchema>;
export type RateLimitStatus = Static<typeof RateLimitStatusSchema>;
export type UsageQueryRequest = Static<typeof UsageQuery>;
export type UsageBucketView = Static<typeof UsageBucketSchema>;
export type TokenUsageView = Static<typeof TokenUsageSchema>;
export type OrgUsageView = Static<typeof OrgUsageSchema>;
