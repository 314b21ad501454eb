import { describe, expect, it } from 'vitest';
import { isManagementScope } from '../../src/core/permissions.js';
import { endGrace, transition } from '../../src/core/token-transitions.js';

const NOW = Date.parse('2026-01-15T10:00:00Z');
const HOUR = 3_600_000;

/** A token of the state machine's shape: active, expiring in a day, never rotated. */
const token = (overrides: Partial<Parameters<typeof endGrace>[0]> = {}) => ({
  expiresAt: NOW + 24 * HOUR,
  revokedAt: null,
  revokedReason: null,
  disabledAt: null,
  replacedBy: null,
  ...overrides,
});

describe('endGrace', () => {
  it('ends the grace of a rotated-away token still in it, now', () => {
    const predecessor = token({ replacedBy: 'tok_successor', revokedAt: NOW + HOUR, revokedReason: 'rotated' });
    expect(endGrace(predecessor, NOW)).toEqual({ revokedAt: NOW });
    // And the state machine then sees it revoked.
    expect(transition({ ...predecessor, revokedAt: NOW }, { type: 'revoke', reason: 'manual' }, NOW)).toEqual({ outcome: 'unchanged' });
  });

  it('ends a disabled predecessor\'s grace too: it could be enabled again within it', () => {
    expect(endGrace(token({ replacedBy: 'tok_s', revokedAt: NOW + HOUR, revokedReason: 'rotated', disabledAt: NOW - HOUR }), NOW)).toEqual({ revokedAt: NOW });
  });

  it('leaves alone what is no longer live or was never rotated', () => {
    expect(endGrace(token(), NOW)).toBeNull();
    expect(endGrace(token({ replacedBy: 'tok_s', revokedAt: NOW - 1, revokedReason: 'rotated' }), NOW)).toBeNull();
    expect(endGrace(token({ replacedBy: 'tok_s', revokedAt: NOW, revokedReason: 'rotated' }), NOW)).toBeNull();
    expect(endGrace(token({ replacedBy: 'tok_s', revokedAt: NOW + HOUR, revokedReason: 'rotated', expiresAt: NOW }), NOW)).toBeNull();
    expect(endGrace(token({ revokedAt: NOW + HOUR, revokedReason: 'manual' }), NOW)).toBeNull();
  });
});

describe('isManagementScope', () => {
  it('tells Keyward\'s own scopes from the product\'s', () => {
    for (const scope of ['keyward:tokens:read', 'keyward:tokens:write', 'keyward:audit:read', 'keyward:admin']) expect(isManagementScope(scope)).toBe(true);
    for (const scope of ['devices:read', 'insights:read', 'keywarder:read']) expect(isManagementScope(scope)).toBe(false);
  });
});
