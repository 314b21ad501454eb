/**
 * When a failed webhook delivery is tried again: exponential backoff (×5 from 5 seconds) with
 * ±20 % jitter, so endpoints that came back are not hit by every sender at the same instant.
 * Eight attempts span about a day (5 s, 25 s, 2 min, 10 min, 52 min, 4.3 h, 21.7 h apart).
 */
export const MAX_DELIVERY_ATTEMPTS = 8;

const FIRST_DELAY_MS = 5_000;
const FACTOR = 5;
const JITTER = 0.2;

/**
 * The wait after failed attempt number `attempt` (1-based), or null when it was the last one.
 * `random` is a number in [0, 1): Math.random() in production, fixed in tests.
 */
export function retryDelayMs(attempt: number, random: number): number | null {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError('attempt counts from 1');
  if (attempt >= MAX_DELIVERY_ATTEMPTS) return null;
  const base = FIRST_DELAY_MS * FACTOR ** (attempt - 1);
  const clamped = Math.min(Math.max(random, 0), 1);
  return Math.round(base * (1 - JITTER + 2 * JITTER * clamped));
}
