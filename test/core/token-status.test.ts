import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/core/policy.js';
import { effectiveEnd, isExpiringSoon, tokenStatus, type StatusFields } from '../../src/core/token-status.js';

const NOW = Date.parse('2026-01-15T10:00:00Z');
const time = fc.option(fc.integer({ min: NOW - 400 * DAY_MS, max: NOW + 400 * DAY_MS }), { nil: null });
const fields: fc.Arbitrary<StatusFields> = fc.record({ expiresAt: time, revokedAt: time, disabledAt: time });

describe('tokenStatus', () => {
  it('follows the precedence revoked > expired > disabled > active', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const status = tokenStatus(f, NOW);
        const revoked = f.revokedAt !== null && f.revokedAt <= NOW;
        const expired = f.expiresAt !== null && f.expiresAt <= NOW;
        expect(status).toBe(revoked ? 'revoked' : expired ? 'expired' : f.disabledAt !== null ? 'disabled' : 'active');
      }),
    );
  });

  it('keeps a rotated-away token active until its grace ends, to the millisecond', () => {
    const token = { expiresAt: NOW + 30 * DAY_MS, revokedAt: NOW + 1000, disabledAt: null };
    expect(tokenStatus(token, NOW)).toBe('active');
    expect(tokenStatus(token, NOW + 999)).toBe('active');
    expect(tokenStatus(token, NOW + 1000)).toBe('revoked');
  });

  it('expires exactly at expiresAt', () => {
    const token = { expiresAt: NOW, revokedAt: null, disabledAt: null };
    expect(tokenStatus(token, NOW - 1)).toBe('active');
    expect(tokenStatus(token, NOW)).toBe('expired');
  });

  it('never turns active again as time passes', () => {
    fc.assert(
      fc.property(fields, fc.integer({ min: 0, max: 800 * DAY_MS }), (f, later) => {
        if (tokenStatus(f, NOW) !== 'active') expect(tokenStatus(f, NOW + later)).not.toBe('active');
      }),
    );
  });
});

describe('effectiveEnd', () => {
  it('is the earlier of expiry and grace end, or null for a token that never ends', () => {
    fc.assert(
      fc.property(fields, (f) => {
        const ends = [f.expiresAt, f.revokedAt].filter((v): v is number => v !== null);
        expect(effectiveEnd(f)).toBe(ends.length === 0 ? null : Math.min(...ends));
      }),
    );
  });
});

describe('isExpiringSoon', () => {
  it('holds exactly for active tokens ending inside the window', () => {
    fc.assert(
      fc.property(fields, fc.integer({ min: 0, max: 60 }), (f, windowDays) => {
        const end = effectiveEnd(f);
        const expected = tokenStatus(f, NOW) === 'active' && end !== null && end - NOW <= windowDays * DAY_MS;
        expect(isExpiringSoon(f, windowDays, NOW)).toBe(expected);
      }),
    );
  });

  it('flags the 14-day window boundary', () => {
    const at = (days: number) => ({ expiresAt: NOW + days * DAY_MS, revokedAt: null, disabledAt: null });
    expect(isExpiringSoon(at(14), 14, NOW)).toBe(true);
    expect(isExpiringSoon(at(15), 14, NOW)).toBe(false);
    expect(isExpiringSoon({ expiresAt: null, revokedAt: null, disabledAt: null }, 14, NOW)).toBe(false);
  });
});
