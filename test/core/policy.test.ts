import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywardError } from '../../src/core/errors.js';
import {
  DAY_MS,
  DEFAULT_BOUNDS,
  DEFAULT_POLICY,
  defaultPolicy,
  mergePolicy,
  resolveExpiration,
  TOKEN_KINDS,
  type PolicyBounds,
  type TokenPolicy,
} from '../../src/core/policy.js';

const NOW = Date.parse('2026-01-15T10:00:00Z');

const bounds: fc.Arbitrary<PolicyBounds> = fc.record({
  max_lifetime_days: fc.integer({ min: 1, max: 2000 }),
  max_tokens_per_user: fc.integer({ min: 1, max: 1000 }),
  allowed_kinds: fc.subarray([...TOKEN_KINDS], { minLength: 1 }),
  allow_no_expiration: fc.boolean(),
  max_rate_limit: fc.integer({ min: 1, max: 1_000_000 }),
});

const change: fc.Arbitrary<Partial<TokenPolicy>> = fc.record(
  {
    expiration_presets_days: fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 6 }),
    allow_custom_expiration: fc.boolean(),
    max_lifetime_days: fc.integer({ min: 1, max: 3000 }),
    expiration_required: fc.boolean(),
    max_tokens_per_user: fc.integer({ min: 1, max: 2000 }),
    self_service: fc.boolean(),
    warning_window_days: fc.integer({ min: 0, max: 60 }),
    allowed_kinds: fc.subarray([...TOKEN_KINDS]),
    accept_x_api_key: fc.boolean(),
  },
  { requiredKeys: [] },
);

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(KeywardError);
    return (error as KeywardError).code;
  }
}

describe('defaultPolicy', () => {
  it('is DESIGN’s default under the default bounds', () => {
    expect(defaultPolicy(DEFAULT_BOUNDS)).toEqual(DEFAULT_POLICY);
  });

  it('always lies within any bounds', () => {
    fc.assert(
      fc.property(bounds, (b) => {
        const policy = defaultPolicy(b);
        expect(policy.max_lifetime_days).toBeLessThanOrEqual(b.max_lifetime_days);
        expect(policy.max_tokens_per_user).toBeLessThanOrEqual(b.max_tokens_per_user);
        expect(policy.expiration_presets_days.length).toBeGreaterThan(0);
        expect(policy.expiration_presets_days.every((d) => d <= policy.max_lifetime_days)).toBe(true);
        expect(policy.allowed_kinds.every((k) => b.allowed_kinds.includes(k))).toBe(true);
      }),
    );
  });
});

describe('mergePolicy', () => {
  it('either refuses a change with a Keyward error or returns a policy within the bounds', () => {
    fc.assert(
      fc.property(bounds, change, (b, c) => {
        let merged: TokenPolicy;
        try {
          merged = mergePolicy(defaultPolicy(b), c, b);
        } catch (error) {
          expect(error).toBeInstanceOf(KeywardError);
          expect([400, 422]).toContain((error as KeywardError).status);
          return;
        }
        expect(merged.max_lifetime_days).toBeLessThanOrEqual(b.max_lifetime_days);
        expect(merged.max_tokens_per_user).toBeLessThanOrEqual(b.max_tokens_per_user);
        expect(merged.allowed_kinds.length).toBeGreaterThan(0);
        expect(merged.allowed_kinds.every((k) => b.allowed_kinds.includes(k))).toBe(true);
        expect(merged.expiration_presets_days.every((d) => d <= merged.max_lifetime_days)).toBe(true);
        expect(merged.expiration_presets_days).toEqual([...new Set(merged.expiration_presets_days)].sort((x, y) => x - y));
        if (!b.allow_no_expiration) expect(merged.expiration_required).toBe(true);
        expect(mergePolicy(merged, {}, b)).toEqual(merged);
      }),
      { numRuns: 500 },
    );
  });

  it('names the bound a change breaks', () => {
    const base = defaultPolicy(DEFAULT_BOUNDS);
    expect(codeOf(() => mergePolicy(base, { max_lifetime_days: 366 }, DEFAULT_BOUNDS))).toBe('expiration_too_long');
    expect(codeOf(() => mergePolicy(base, { expiration_presets_days: [30, 400] }, DEFAULT_BOUNDS))).toBe('expiration_too_long');
    expect(codeOf(() => mergePolicy(base, { max_lifetime_days: 90 }, DEFAULT_BOUNDS))).toBe('expiration_too_long');
    expect(codeOf(() => mergePolicy(base, { expiration_required: false }, DEFAULT_BOUNDS))).toBe('expiration_required');
    expect(codeOf(() => mergePolicy(base, { max_tokens_per_user: 101 }, DEFAULT_BOUNDS))).toBe('bound_exceeded');
    expect(codeOf(() => mergePolicy(base, { allowed_kinds: [] }, DEFAULT_BOUNDS))).toBe('validation_failed');
    const jwtOnly = { ...DEFAULT_BOUNDS, allowed_kinds: ['jwt' as const] };
    expect(codeOf(() => mergePolicy(defaultPolicy(jwtOnly), { allowed_kinds: ['api_key'] }, jwtOnly))).toBe('kind_not_allowed');
    expect(
      codeOf(() => mergePolicy(base, { expiration_presets_days: [], allow_custom_expiration: false }, DEFAULT_BOUNDS)),
    ).toBe('validation_failed');
  });

  it('sorts and de-duplicates presets', () => {
    const merged = mergePolicy(DEFAULT_POLICY, { expiration_presets_days: [90, 30, 90, 7] }, DEFAULT_BOUNDS);
    expect(merged.expiration_presets_days).toEqual([7, 30, 90]);
  });

  it('allows never-expiring tokens only where the deployment does', () => {
    const open = { ...DEFAULT_BOUNDS, allow_no_expiration: true };
    expect(mergePolicy(DEFAULT_POLICY, { expiration_required: false }, open).expiration_required).toBe(false);
  });
});

describe('resolveExpiration', () => {
  const policy = DEFAULT_POLICY;

  it('turns any allowed preset into now + that many days', () => {
    fc.assert(
      fc.property(fc.constantFrom(...policy.expiration_presets_days), fc.integer({ min: 0, max: 2 ** 40 }), (days, now) => {
        expect(resolveExpiration({ expiresInDays: days }, policy, now)).toBe(now + days * DAY_MS);
      }),
    );
  });

  it('refuses days that are not a preset', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 365 }).filter((d) => !policy.expiration_presets_days.includes(d)), (days) => {
        expect(codeOf(() => resolveExpiration({ expiresInDays: days }, policy, NOW))).toBe('expiration_not_allowed');
      }),
    );
    expect(codeOf(() => resolveExpiration({ expiresInDays: 400 }, policy, NOW))).toBe('expiration_too_long');
  });

  it('accepts any custom date in (now, now + max] and nothing outside', () => {
    const max = policy.max_lifetime_days * DAY_MS;
    fc.assert(
      fc.property(fc.integer({ min: 1, max }), (offset) => {
        const at = NOW + offset;
        expect(resolveExpiration({ expiresAt: new Date(at).toISOString() }, policy, NOW)).toBe(Math.floor(at / 1000) * 1000 + (at % 1000));
      }),
    );
    expect(codeOf(() => resolveExpiration({ expiresAt: new Date(NOW + max + 1).toISOString() }, policy, NOW))).toBe('expiration_too_long');
    expect(codeOf(() => resolveExpiration({ expiresAt: new Date(NOW).toISOString() }, policy, NOW))).toBe('validation_failed');
    expect(codeOf(() => resolveExpiration({ expiresAt: 'next tuesday' }, policy, NOW))).toBe('validation_failed');
  });

  it('refuses custom dates where the org turned them off (422)', () => {
    const strict = { ...policy, allow_custom_expiration: false };
    let status = 0;
    try {
      resolveExpiration({ expiresAt: new Date(NOW + DAY_MS).toISOString() }, strict, NOW);
    } catch (error) {
      status = (error as KeywardError).status;
    }
    expect(status).toBe(422);
  });

  it('refuses both forms at once', () => {
    expect(codeOf(() => resolveExpiration({ expiresInDays: 30, expiresAt: new Date(NOW + DAY_MS).toISOString() }, policy, NOW))).toBe(
      'validation_failed',
    );
  });

  it('requires an expiration where the policy does, and otherwise means never', () => {
    expect(codeOf(() => resolveExpiration({}, policy, NOW))).toBe('expiration_required');
    expect(resolveExpiration({}, { ...policy, expiration_required: false }, NOW)).toBeNull();
  });
});
