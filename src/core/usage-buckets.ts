import { ValidationFailed } from './errors.js';
import type { VerifyCode } from './verify-codes.js';

/**
 * Usage analytics' time buckets (DESIGN §1 "Usage analytics"): verify outcomes are counted per
 * token, per code, per UTC hour and per UTC day; hours are kept 90 days, days two years.
 */
export const USAGE_GRANULARITIES = ['hour', 'day'] as const;
export type UsageGranularity = (typeof USAGE_GRANULARITIES)[number];

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const BUCKET_MS: Record<UsageGranularity, number> = { hour: HOUR_MS, day: DAY_MS };

/** How long each granularity's buckets are kept. */
export const USAGE_RETENTION_MS: Record<UsageGranularity, number> = { hour: 90 * DAY_MS, day: 730 * DAY_MS };

export function bucketStart(granularity: UsageGranularity, atMs: number): number {
  const size = BUCKET_MS[granularity];
  return Math.floor(atMs / size) * size;
}

/** Verify outcomes of one bucket by code; codes that did not occur are left out. */
export type CodeCounts = Partial<Record<VerifyCode, number>>;

/** One token's count of one code in one bucket. */
export type UsageCount = { tokenId: string; bucketStart: number; code: VerifyCode; count: number };

/** What a usage query covers: the buckets of `granularity` that start in [since, until). */
export type UsageRange = { granularity: UsageGranularity; since: number; until: number };

export type UsagePoint = { bucketStart: number; codes: CodeCounts };

export type BusyToken = { tokenId: string; total: number; codes: CodeCounts };

/** What a query may ask when it leaves something out: daily buckets of the last 30 days. */
export const DEFAULT_USAGE_SPAN_MS = 30 * DAY_MS;

/**
 * The range a query asks for. A range may span at most what its granularity keeps (90 days of
 * hours, two years of days), which also bounds an answer to 2,160 or 730 points.
 */
export function usageRange(query: { granularity?: UsageGranularity | undefined; since?: number | undefined; until?: number | undefined }, nowMs: number): UsageRange {
  const granularity = query.granularity ?? 'day';
  const until = query.until ?? nowMs;
  const since = query.since ?? until - DEFAULT_USAGE_SPAN_MS;
  if (since >= until) throw new ValidationFailed('since must be before until.', { field: 'since' });
  const longest = USAGE_RETENTION_MS[granularity];
  if (until - since > longest) {
    throw new ValidationFailed(`A range of ${granularity === 'hour' ? 'hourly' : 'daily'} usage may span at most ${longest / DAY_MS} days.`, { field: 'since' });
  }
  return { granularity, since, until };
}

export function inRange(range: UsageRange, bucketStartMs: number): boolean {
  return bucketStartMs >= range.since && bucketStartMs < range.until;
}

/**
 * Every bucket of the range in time order, with its counts; a bucket without any verification is
 * there with no codes, so a chart of 30 days has 30 points. Counts outside the range are ignored.
 */
export function usageSeries(range: UsageRange, counts: Iterable<UsageCount>): UsagePoint[] {
  const size = BUCKET_MS[range.granularity];
  const points = new Map<number, CodeCounts>();
  for (let start = Math.ceil(range.since / size) * size; start < range.until; start += size) points.set(start, {});
  for (const c of counts) {
    const codes = points.get(c.bucketStart);
    if (codes !== undefined) codes[c.code] = (codes[c.code] ?? 0) + c.count;
  }
  return [...points].map(([bucketStart, codes]) => ({ bucketStart, codes }));
}

/** The tokens with the most verifications, most first (ties by id, so answers are stable). */
export function busiestTokens(counts: Iterable<UsageCount>, limit: number): BusyToken[] {
  const byToken = new Map<string, BusyToken>();
  for (const c of counts) {
    let busy = byToken.get(c.tokenId);
    if (busy === undefined) byToken.set(c.tokenId, (busy = { tokenId: c.tokenId, total: 0, codes: {} }));
    busy.total += c.count;
    busy.codes[c.code] = (busy.codes[c.code] ?? 0) + c.count;
  }
  return [...byToken.values()].sort((a, b) => b.total - a.total || (a.tokenId < b.tokenId ? -1 : 1)).slice(0, limit);
}
