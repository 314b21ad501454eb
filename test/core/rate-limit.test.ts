import { describe, expect, it } from 'vitest';
import { AddressRateLimiter, RateLimiter } from '../../src/core/rate-limit.js';

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

describe('RateLimiter.release', () => {
  it('takes back an attempt of the window it was counted in, and nothing after', () => {
    const limiter = new RateLimiter(2, 1000);
    const first = limiter.hit('a', 0);
    limiter.hit('a', 10);
    expect(limiter.blockedFor('a', 10)).toBeGreaterThan(0);
    limiter.release('a', first);
    expect(limiter.blockedFor('a', 10)).toBe(0);
    limiter.release('a', first);
    limiter.release('a', first);
    limiter.hit('a', 20);
    limiter.hit('a', 20);
    expect(limiter.blockedFor('a', 20)).toBeGreaterThan(0);
    // A reservation from an earlier window gives nothing back in the next.
    const next = limiter.hit('b', 0);
    limiter.hit('b', 1_000);
    limiter.hit('b', 1_000);
    limiter.release('b', next);
    expect(limiter.blockedFor('b', 1_000)).toBeGreaterThan(0);
  });
});

describe('AddressRateLimiter', () => {
  it('counts an IPv6 client by its /64 and anything else that is no address as one unknown client', () => {
    const limiter = new AddressRateLimiter(2, 1000);
    limiter.hit('2001:db8::1', 0);
    limiter.hit('2001:db8::2', 0);
    expect(limiter.blockedFor('2001:db8::ffff', 0)).toBe(1000);
    expect(limiter.blockedFor('2001:db8:0:1::1', 0)).toBe(0);
    limiter.hit('garbage-1', 0);
    limiter.hit('garbage-2', 0);
    expect(limiter.blockedFor('unknown', 0)).toBe(1000);
  });
});
