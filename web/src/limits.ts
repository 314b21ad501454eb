/**
 * A token's usage controls as people read and type them: rate limit windows in seconds, minutes,
 * hours or days rather than a raw `window_seconds`, and credits with their refill.
 */
import type { RateLimit, RefillInterval, Token, UsageLimit } from './types.js';

export const WINDOW_UNITS = [
  { unit: 'second', seconds: 1, short: 's' },
  { unit: 'minute', seconds: 60, short: 'min' },
  { unit: 'hour', seconds: 3600, short: 'h' },
  { unit: 'day', seconds: 86_400, short: 'day' },
] as const;

export type WindowUnit = (typeof WINDOW_UNITS)[number]['unit'];

/** A rate limit row being edited: the numbers stay text until sent, so a half-typed value is kept. */
export type RateLimitDraft = { key: number; name: string; limit: string; every: string; unit: WindowUnit };

let nextKey = 0;

/** The largest unit that divides the window, so 3600 s reads "1 hour" and 90 s "90 seconds". */
function largestUnit(windowSeconds: number) {
  return [...WINDOW_UNITS].reverse().find((u) => windowSeconds % u.seconds === 0) ?? WINDOW_UNITS[0];
}

export function rateLimitDraft(limit?: RateLimit): RateLimitDraft {
  nextKey += 1;
  if (!limit) return { key: nextKey, name: '', limit: '', every: '1', unit: 'minute' };
  const unit = largestUnit(limit.window_seconds);
  return { key: nextKey, name: limit.name, limit: String(limit.limit), every: String(limit.window_seconds / unit.seconds), unit: unit.unit };
}

/**
 * A typed number for the API. A blank becomes NaN, which JSON sends as null, so the server refuses
 * it naming the field rather than taking it for 0 (0 credits is a real setting).
 */
function typedNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

export function rateLimitFromDraft(draft: RateLimitDraft): RateLimit {
  const unit = WINDOW_UNITS.find((u) => u.unit === draft.unit) ?? WINDOW_UNITS[0];
  return { name: draft.name.trim(), limit: typedNumber(draft.limit), window_seconds: typedNumber(draft.every) * unit.seconds };
}

const count = new Intl.NumberFormat();

export function formatCount(n: number): string {
  return count.format(n);
}

/** "100/min", or "500/15 min" for a window of several units. */
export function formatRateLimit(limit: RateLimit): string {
  const unit = largestUnit(limit.window_seconds);
  const every = limit.window_seconds / unit.seconds;
  return `${formatCount(limit.limit)}/${every === 1 ? '' : `${every} `}${unit.short}`;
}

/** "1 minute", "15 minutes". */
export function formatWindow(windowSeconds: number): string {
  const unit = largestUnit(windowSeconds);
  const every = windowSeconds / unit.seconds;
  return `${formatCount(every)} ${unit.unit}${every === 1 ? '' : 's'}`;
}

const REFILL_WORDS: Record<RefillInterval, string> = { day: 'daily', month: 'monthly' };

export function formatCredits(usage: UsageLimit): string {
  const left = `${formatCount(usage.remaining)} ${usage.remaining === 1 ? 'credit' : 'credits'} left`;
  return usage.refill ? `${left}, refilled to ${formatCount(usage.refill.amount)} ${REFILL_WORDS[usage.refill.interval]}` : left;
}

/** A token's limits in short for the token lists, e.g. ["100/min", "1,000 credits left"]; empty without any. */
export function limitsSummary(token: Pick<Token, 'rate_limits' | 'usage_limit'>): string[] {
  const parts = token.rate_limits.map(formatRateLimit);
  if (token.usage_limit) parts.push(`${formatCount(token.usage_limit.remaining)} credits left`);
  return parts;
}

/** Credits being edited: off (none), or a count with an optional refill. */
export type CreditsDraft = { on: boolean; remaining: string; interval: '' | RefillInterval; amount: string };

export function creditsDraft(usage: UsageLimit | null): CreditsDraft {
  if (!usage) return { on: false, remaining: '1000', interval: '', amount: '' };
  return { on: true, remaining: String(usage.remaining), interval: usage.refill?.interval ?? '', amount: usage.refill ? String(usage.refill.amount) : '' };
}

export function creditsFromDraft(draft: CreditsDraft): UsageLimit | null {
  if (!draft.on) return null;
  return { remaining: typedNumber(draft.remaining), refill: draft.interval ? { amount: typedNumber(draft.amount), interval: draft.interval } : null };
}
