import { RateLimited, UsageExceeded } from '../../core/errors.js';
import type { LimitStatus } from '../../core/limit-status.js';
import type { LimitSubject } from '../../core/usage-limits.js';

/**
 * The shared counters behind rate limits and credits (DESIGN §5 "Shared counters"): in this
 * process in embedded mode, in Redis in a cluster so every node enforces one limit. Tokens without
 * usage controls never reach them.
 */
export type CounterState = 'local' | 'live' | 'degraded';

/** One verify's verdict: every limit and the credits admit its cost, or none is spent. */
export type Admission = {
  code: 'VALID' | 'RATE_LIMITED' | 'USAGE_EXCEEDED';
  /** When to try again; 0 when admitted, null when waiting cannot help (credits with no refill). */
  retryAfterSeconds: number | null;
  rateLimits: LimitStatus[];
  /** Credits left after this verify; null without a usage limit. */
  remaining: number | null;
};

/** Credits of one setting and period as a process last saw them, to be written to the store. */
export type CreditCount = { key: string; version: number; period: number; remaining: number };

export interface UsageCounters {
  readonly state: CounterState;
  /** Synchronous where it can be (in memory), so a cached verify still awaits nothing. */
  admit(subject: LimitSubject, cost: number, nowMs: number): Admission | Promise<Admission>;
  /** The newest credit counts seen since the last call. */
  drainCredits(): CreditCount[];
  /** The credits this process last saw for a setting and period, if it has seen them. */
  peekCredits(key: string, version: number, period: number): number | undefined;
  /**
   * Adds one to a count every process shares, in fixed windows of `windowMs`, and answers the
   * total; null where there is nothing to share (one process) or it cannot be reached.
   */
  addShared(key: string, windowMs: number, nowMs: number): Promise<number | null>;
  /** Forgets a shared count's current window. */
  clearShared(key: string, windowMs: number, nowMs: number): Promise<void>;
  close(): Promise<void>;
}

export const creditKey = (key: string, version: number, period: number) => `${key}:${version}:${period}`;

/** The verdict when the counters cannot be asked (Redis unreachable): limited tokens fail closed. */
export const COUNTERS_UNAVAILABLE: Admission = { code: 'RATE_LIMITED', retryAfterSeconds: 1, rateLimits: [], remaining: null };

/** Why a verify its token's limits held back was refused, in a sentence. */
export function throttleReason(usage: Admission): string {
  if (usage.code === 'USAGE_EXCEEDED') return 'The token has no usage credits left.';
  return usage.rateLimits.length === 0 ? 'The rate limit counters cannot be reached; try again shortly.' : 'The token is over its rate limit.';
}

/** The 429 for a verify its token's limits held back. */
export function throttledError(usage: Admission): RateLimited | UsageExceeded {
  if (usage.code === 'USAGE_EXCEEDED') return new UsageExceeded(usage.retryAfterSeconds, usage.rateLimits);
  return new RateLimited(usage.retryAfterSeconds ?? 1, throttleReason(usage), usage.rateLimits);
}
