import type { RateLimit, UsageRefill } from '../core/usage-limits.js';
import { CliError } from './output.js';

/** Commander parser for repeatable options (`--scope a --scope b`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Commander parser for a whole number ≥ 0; a bad value is a usage error (exit 2). */
export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`"${value}" is not a whole number.`, 2);
  return n;
}

/**
 * Commander parser for an expiry: a calendar date means the end of that day in UTC, since a token
 * "valid until 2027-01-15" should work on the 15th; a date-time is taken as given.
 */
export function expiryDate(value: string): string {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const end = new Date(Date.UTC(year, month - 1, day, 23, 59, 59));
    if (end.getUTCDate() !== day || end.getUTCMonth() !== month - 1) throw new CliError(`"${value}" is not a calendar date.`, 2);
    return end.toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw new CliError(`"${value}" is not a date (2027-01-15) or an ISO 8601 date-time.`, 2);
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Commander parser for a repeatable rate limit, `NAME=LIMIT/WINDOW` with the window in seconds or
 * with a unit (`burst=20/1s`, `api=100/m`, `daily=50000/1d`). The server checks the bounds.
 */
export function rateLimit(value: string, previous: RateLimit[] = []): RateLimit[] {
  const match = /^([^=]+)=(\d+)\/(\d*)([smhd]?)$/.exec(value);
  if (!match || (match[3] === '' && match[4] === '')) throw new CliError(`"${value}" is not NAME=LIMIT/WINDOW, e.g. burst=20/1s or daily=50000/1d.`, 2);
  const [, name, limit, count, unit] = match;
  const window_seconds = Number(count === '' ? 1 : count) * UNIT_SECONDS[unit || 's']!;
  return [...previous, { name: name!, limit: Number(limit), window_seconds }];
}

/** Commander parser for a refill, `AMOUNT/day` or `AMOUNT/month`. */
export function refill(value: string): UsageRefill {
  const match = /^(\d+)\/(day|month)$/.exec(value);
  if (!match) throw new CliError(`"${value}" is not AMOUNT/day or AMOUNT/month, e.g. 1000/day.`, 2);
  return { amount: Number(match[1]), interval: match[2] as UsageRefill['interval'] };
}
