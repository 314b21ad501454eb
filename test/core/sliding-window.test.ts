import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlidingWindow } from '../../src/core/sliding-window.js';
import { LocalCounters } from '../../src/services/limits/local-counters.js';

/** Uses admitted in the window (t − w, t] that ends at each admitted use: none may exceed the limit. */
function worstWindow(admitted: readonly { at: number; cost: number }[], windowMs: number): number {
  let worst = 0;
  for (const end of admitted) {
    const inWindow = admitted.filter((u) => u.at > end.at - windowMs && u.at <= end.at).reduce((sum, u) => sum + u.cost, 0);
    worst = Math.max(worst, inWindow);
  }
  return worst;
}

const uses = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3000 }), cost: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 300 });

describe('the sliding window', () => {
  it('never admits more than the limit in any window of its length, wherever the window starts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 }), uses, (limit, windowMs, sequence) => {
        const window = new SlidingWindow(limit, windowMs);
        const admitted: { at: number; cost: number }[] = [];
        let now = 1_700_000_000_000;
        for (const { gap, cost } of sequence) {
          now += gap;
          if (window.waitFor(cost, now) === 0) {
            window.add(cost, now);
            admitted.push({ at: now, cost });
          }
        }
        expect(worstWindow(admitted, windowMs)).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 300 },
    );
  });

  it('admits again once the wait it gave has passed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 }), uses, (limit, windowMs, sequence) => {
        const window = new SlidingWindow(limit, windowMs);
        let now = 1_700_000_000_000;
        for (const { gap, cost } of sequence) {
          now += gap;
          const wait = window.waitFor(cost, now);
          if (wait === 0) window.add(cost, now);
          else if (cost <= limit) expect(window.waitFor(cost, now + wait)).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('lets a steady client use nearly all of its limit, not half (slots are a sixtieth of the window)', () => {
    const window = new SlidingWindow(100, 60_000);
    let admitted = 0;
    // Ten minutes of a client asking every 100 ms: 6000 asks for 1000 allowed uses.
    for (let at = 0; at < 600_000; at += 100) {
      if (window.waitFor(1, at) === 0) {
        window.add(1, at);
        admitted += 1;
      }
    }
    expect(admitted).toBeGreaterThanOrEqual(950);
    expect(admitted).toBeLessThanOrEqual(1000);
  });

  it('refuses a cost above the limit for a whole window, whatever is used', () => {
    const window = new SlidingWindow(5, 1000);
    expect(window.waitFor(6, 0)).toBe(1000);
    expect(window.waitFor(5, 0)).toBe(0);
  });
});

describe('the local counters', () => {
  const subject = (credits: number | null = null) => ({
    key: 'tok_a',
    rateLimits: [
      { name: 'burst', limit: 3, window_seconds: 1 },
      { name: 'hour', limit: 5, window_seconds: 3600 },
    ],
    credits: credits === null ? null : { version: 0, period: 0, seed: credits, refillAt: null },
  });

  it('spends every limit and the credits together, or none of them', () => {
    const counters = new LocalCounters();
    const s = subject(4);
    expect(counters.admit(s, 1, 0).code).toBe('VALID');
    expect(counters.admit(s, 2, 0).code).toBe('VALID');
    // burst has 0 left: refused, and neither the hour limit nor the credits are spent.
    const refused = counters.admit(s, 1, 10);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', remaining: 1 });
    expect(refused.rateLimits.map((l) => l.remaining)).toEqual([0, 2]);
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // A second later the burst has room; the credits have 1 left for a cost of 2.
    expect(counters.admit(s, 2, 1100)).toMatchObject({ code: 'USAGE_EXCEEDED', remaining: 1, retryAfterSeconds: null });
    expect(counters.admit(s, 1, 1100)).toMatchObject({ code: 'VALID', remaining: 0 });
    expect(counters.admit(s, 0, 1100)).toMatchObject({ code: 'USAGE_EXCEEDED', remaining: 0 });
    expect(counters.drainCredits()).toEqual([{ key: 'tok_a', version: 0, period: 0, remaining: 0 }]);
    expect(counters.drainCredits()).toEqual([]);
  });

  it('starts a new setting or period from its seed, not from the old count', () => {
    const counters = new LocalCounters();
    const s = { key: 'tok_b', rateLimits: [], credits: { version: 0, period: 5, seed: 1, refillAt: 10 } };
    expect(counters.admit(s, 1, 0).code).toBe('VALID');
    expect(counters.admit(s, 1, 0).code).toBe('USAGE_EXCEEDED');
    expect(counters.admit({ ...s, credits: { ...s.credits, period: 6, seed: 3 } }, 1, 0)).toMatchObject({ code: 'VALID', remaining: 2 });
    expect(counters.admit({ ...s, credits: { ...s.credits, version: 1, seed: 10 } }, 1, 0)).toMatchObject({ code: 'VALID', remaining: 9 });
  });
});
