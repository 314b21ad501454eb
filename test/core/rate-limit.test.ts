import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/core/rate-limit.js';

describe('RateLimiter', () => {
  it('blocks a key at its limit until the window ends, and keys apart', () => {
    const limiter = new RateLimiter(3, 1000);
    for (let i = 0; i < 3; i++) {
      expect(limiter.blockedFor('a', 100)).toBe(0);
      limiter.hit('a', 100);
    }
    expect(limiter.blockedFor('a', 100)).toBe(1000);
    expect(limiter.blockedFor('a', 600)).toBe(500);
    expect(limiter.blockedFor('b', 600)).toBe(0);
    expect(limiter.blockedFor('a', 1100)).toBe(0);
  });

  it('forgets a key on reset and stays bounded', () => {
    const limiter = new RateLimiter(1, 1000, 10);
    limiter.hit('a', 0);
    limiter.reset('a');
    expect(limiter.blockedFor('a', 0)).toBe(0);
    for (let i = 0; i < 100; i++) limiter.hit(`k${i}`, 0);
    expect(limiter.blockedFor('k0', 0)).toBe(0); // evicted: the oldest go first
    expect(limiter.blockedFor('k99', 0)).toBe(1000);
  });
});
