import { PolicyViolation, ValidationFailed } from './errors.js';

/**
 * A token's usage controls (DESIGN §1 "Usage controls"): named rate limits, and credits that a
 * refill may top up. Pure rules: what is a valid limit, and which credit period a time is in.
 */

export const MAX_RATE_LIMITS = 5;
export const MAX_WINDOW_SECONDS = 86_400;
/** The most one verify may cost (the verify request's `cost`). */
export const MAX_COST = 1000;
export const RATE_LIMIT_NAME_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,31}$';

export type RateLimit = { name: string; limit: number; window_seconds: number };

export const REFILL_INTERVALS = ['day', 'month'] as const;
export type RefillInterval = (typeof REFILL_INTERVALS)[number];
export type UsageRefill = { amount: number; interval: RefillInterval };
export type UsageLimit = { remaining: number; refill: UsageRefill | null };

/** A client address a token was used from, and when last. */
export type RecentIp = { ip: string; lastSeenAt: number };
export const RECENT_IPS = 5;

/**
 * What the schema cannot say about a list of limits: names are unique. (Counts, windows and
 * positive limits are the schema's: 400 naming the field either way.)
 */
export function checkRateLimits(limits: readonly RateLimit[], field: string): RateLimit[] {
  const seen = new Set<string>();
  for (const [i, limit] of limits.entries()) {
    if (seen.has(limit.name)) throw new ValidationFailed(`The rate limit name "${limit.name}" is used twice.`, { field: `${field}.${i}.name` });
    seen.add(limit.name);
  }
  return limits.map(({ name, limit, window_seconds }) => ({ name, limit, window_seconds }));
}

/** The deployment's ceiling on any one limit (`KEYWARD_MAX_RATE_LIMIT`): a breach is a policy violation. */
export function assertWithinBound(limits: readonly RateLimit[], maxLimit: number, field: string): void {
  const over = limits.findIndex((l) => l.limit > maxLimit);
  if (over >= 0) {
    throw new PolicyViolation('bound_exceeded', `A rate limit may allow at most ${maxLimit} uses per window on this deployment.`, {
      field: `${field}.${over}.limit`,
      max: maxLimit,
    });
  }
}

/**
 * The credit period a time falls in: UTC days or months since the epoch, 0 without a refill.
 * A refill sets the remaining credits back to its amount when the period changes.
 */
export function creditPeriod(refill: UsageRefill | null, nowMs: number): number {
  if (refill === null) return 0;
  if (refill.interval === 'day') return Math.floor(nowMs / 86_400_000);
  const date = new Date(nowMs);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

/** When the period after `period` starts (ms), or null without a refill. */
export function nextRefillAt(refill: UsageRefill | null, period: number): number | null {
  if (refill === null) return null;
  if (refill.interval === 'day') return (period + 1) * 86_400_000;
  const next = period + 1;
  return Date.UTC(Math.floor(next / 12), next % 12, 1);
}

/** Stored credits: the count as last written, the period it belongs to and the version of its setting. */
export type StoredCredits = { remaining: number; refill: UsageRefill | null; period: number; version: number };

/** A token's credits as stored, or null without a usage limit. */
export function storedCredits(token: { usageRemaining: number | null; usageRefill: UsageRefill | null; usagePeriod: number | null; usageVersion: number }): StoredCredits | null {
  if (token.usageRemaining === null) return null;
  return { remaining: token.usageRemaining, refill: token.usageRefill, period: token.usagePeriod ?? 0, version: token.usageVersion };
}

/** The credits left now by the stored count alone: a refill period that began since tops them up. */
export function creditsAt(stored: StoredCredits, nowMs: number): number {
  const period = creditPeriod(stored.refill, nowMs);
  return stored.refill !== null && period > stored.period ? stored.refill.amount : stored.remaining;
}

/** The credits a verify draws on: the setting's version and period, and the count to start from. */
export type CreditSeed = { version: number; period: number; seed: number; refillAt: number | null };

/** What a limited token's counters are asked about; null for a token without usage controls. */
export type LimitSubject = { key: string; rateLimits: readonly RateLimit[]; credits: CreditSeed | null };

export function hasUsageControls(token: { rateLimits: readonly RateLimit[]; usageRemaining: number | null }): boolean {
  return token.rateLimits.length > 0 || token.usageRemaining !== null;
}

/** A token's counters as of `now`: a new refill period starts from the refill amount. */
export function limitSubject(
  token: { limitKey: string; rateLimits: readonly RateLimit[]; usageRemaining: number | null; usageRefill: UsageRefill | null; usagePeriod: number | null; usageVersion: number },
  nowMs: number,
): LimitSubject {
  const stored = storedCredits(token);
  if (stored === null) return { key: token.limitKey, rateLimits: token.rateLimits, credits: null };
  const period = creditPeriod(stored.refill, nowMs);
  return {
    key: token.limitKey,
    rateLimits: token.rateLimits,
    credits: { version: stored.version, period, seed: creditsAt(stored, nowMs), refillAt: nextRefillAt(stored.refill, period) },
  };
}
