/**
 * Usage analytics as the portal shows them: the last 30 UTC days, one row per day with the
 * verifications by outcome, and how each outcome is named and drawn.
 */
import { DAY_MS } from './format.js';
import type { UsageBucket, VerifyCode } from './types.js';
import { VERIFY_CODES } from './types.js';
const USAGE_DAYS = 30;

/** The query for the last 30 UTC days, today included (buckets are UTC days on the server). */
export function last30DaysQuery(nowMs = Date.now()): string {
  const since = new Date((Math.floor(nowMs / DAY_MS) - (USAGE_DAYS - 1)) * DAY_MS);
  return `?granularity=day&since=${encodeURIComponent(since.toISOString())}`;
}

/** How each outcome is named in legends and tables; the code itself is shown beside it. */
export const CODE_LABELS: Record<VerifyCode, string> = {
  VALID: 'Valid',
  MALFORMED: 'Malformed',
  NOT_FOUND: 'Unknown token',
  EXPIRED: 'Expired',
  REVOKED: 'Revoked',
  DISABLED: 'Disabled',
  IP_NOT_ALLOWED: 'Address not allowed',
  INSUFFICIENT_SCOPE: 'Missing scope',
  RATE_LIMITED: 'Rate limited',
  USAGE_EXCEEDED: 'Out of credits',
};

/**
 * Bar colours: each at least 3:1 against the white chart (WCAG 1.4.11) and apart from its
 * neighbours in the stack; the legend and the table name the codes, so colour is never the only cue.
 */
export const CODE_COLORS: Record<VerifyCode, string> = {
  VALID: '#17743b',
  MALFORMED: '#57534e',
  NOT_FOUND: '#334155',
  EXPIRED: '#854d0e',
  REVOKED: '#be123c',
  DISABLED: '#6b7280',
  IP_NOT_ALLOWED: '#0e7490',
  INSUFFICIENT_SCOPE: '#1f4fd1',
  RATE_LIMITED: '#b45309',
  USAGE_EXCEEDED: '#7e22ce',
};

export type Counts = Partial<Record<VerifyCode, number>>;

/** One day of the chart: its start and the counts by code (0 for the codes that did not occur). */
export type UsageDay = { start: string; counts: Record<VerifyCode, number>; total: number };

/** Every code's count, 0 for those left out (the API leaves out the codes that did not occur). */
function allCounts(codes: Counts = {}): Record<VerifyCode, number> {
  return Object.fromEntries(VERIFY_CODES.map((code) => [code, codes[code] ?? 0])) as Record<VerifyCode, number>;
}

/** Every day of the range, one row each (a day the answer lacks as zeros), so the chart's axis has no gaps. */
export function dailySeries(buckets: readonly UsageBucket[], nowMs = Date.now()): UsageDay[] {
  const byDay = new Map<number, Counts>();
  for (const bucket of buckets) byDay.set(Math.floor(Date.parse(bucket.bucket_start) / DAY_MS), bucket.codes);
  const today = Math.floor(nowMs / DAY_MS);
  const days: UsageDay[] = [];
  for (let day = today - (USAGE_DAYS - 1); day <= today; day++) {
    const counts = allCounts(byDay.get(day));
    days.push({ start: new Date(day * DAY_MS).toISOString(), counts, total: VERIFY_CODES.reduce((sum, code) => sum + counts[code], 0) });
  }
  return days;
}

/** The sums by code over the days. */
export function totalsByCode(days: readonly UsageDay[]): Record<VerifyCode, number> {
  const totals = allCounts();
  for (const day of days) for (const code of VERIFY_CODES) totals[code] += day.counts[code];
  return totals;
}

/** The codes that occurred, in the order verify checks them (VALID first). */
export function codesSeen(totals: Record<VerifyCode, number>): VerifyCode[] {
  return VERIFY_CODES.filter((code) => totals[code] > 0);
}

const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** "Nov 4": the UTC day, as the buckets are UTC days. */
export function formatDay(iso: string): string {
  return dayFormat.format(new Date(iso));
}
