import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DELIVERY_ATTEMPTS, retryDelayMs } from '../../src/core/webhook-retry.js';

const SECOND = 1000;

describe('retryDelayMs', () => {
  it('backs off ×5 from 5 seconds, without jitter at random = 0.5', () => {
    const delays = Array.from({ length: MAX_DELIVERY_ATTEMPTS - 1 }, (_, i) => retryDelayMs(i + 1, 0.5));
    expect(delays).toEqual([5, 25, 125, 625, 3125, 15625, 78125].map((s) => s * SECOND));
  });

  it('stops after the last attempt', () => {
    expect(MAX_DELIVERY_ATTEMPTS).toBe(8);
    expect(retryDelayMs(MAX_DELIVERY_ATTEMPTS, 0.5)).toBeNull();
    expect(retryDelayMs(MAX_DELIVERY_ATTEMPTS + 1, 0.5)).toBeNull();
  });

  it('spreads every attempt over ±20 % of its delay', () => {
    expect(retryDelayMs(1, 0)).toBe(4 * SECOND);
    expect(retryDelayMs(1, 0.999999)).toBe(6 * SECOND);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_DELIVERY_ATTEMPTS - 1 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, random) => {
        const base = 5 * SECOND * 5 ** (attempt - 1);
        const delay = retryDelayMs(attempt, random)!;
        expect(delay).toBeGreaterThanOrEqual(Math.round(base * 0.8));
        expect(delay).toBeLessThanOrEqual(Math.round(base * 1.2));
      }),
    );
  });

  it('spans about a day from the first attempt to the last', () => {
    const total = (random: number) => Array.from({ length: MAX_DELIVERY_ATTEMPTS - 1 }, (_, i) => retryDelayMs(i + 1, random)!).reduce((a, b) => a + b, 0);
    expect(total(0.5) / 3_600_000).toBeCloseTo(27.1, 0);
    expect(total(0) / 3_600_000).toBeGreaterThan(20);
    expect(total(0.999) / 3_600_000).toBeLessThan(33);
  });

  it('counts attempts from 1', () => {
    expect(() => retryDelayMs(0, 0.5)).toThrow(RangeError);
    expect(() => retryDelayMs(1.5, 0.5)).toThrow(RangeError);
  });
});
