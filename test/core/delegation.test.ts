import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowlistWithinParent, assertAllowlistWithinParent, assertEndsWithinParent, expiryWithinParent, type DelegatingToken } from '../../src/core/delegation.js';
import { KeywardError } from '../../src/core/errors.js';
import { beyondAllowlist, parseAllowlist } from '../../src/core/ip-allowlist.js';

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const cidr4 = fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([ip, bits]) => `${ip}/${bits}`);
const ipv4Number = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** The first and last address of an IPv4 CIDR, as numbers: the oracle. */
function range(entry: string): [number, number] {
  const [ip = '', bits = '32'] = entry.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipv4Number(ip) / size) * size;
  return [start, start + size - 1];
}

function refusal(run: () => unknown): KeywardError {
  try {
    run();
  } catch (error) {
    if (error instanceof KeywardError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('beyondAllowlist', () => {
  it('answers null exactly when every address of the range lies in the bound', () => {
    fc.assert(
      fc.property(cidr4, cidr4, (entry, bound) => {
        const [inner, outer] = [range(entry), range(bound)];
        const within = outer[0] <= inner[0] && inner[1] <= outer[1];
        expect(beyondAllowlist([entry], [bound])).toBe(within ? null : entry);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes any of several bounds, and names the first entry beyond all of them', () => {
    const bound = parseAllowlist(['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32']);
    expect(beyondAllowlist(['10.1.2.3', '192.168.1.128/25', '2001:db8:1::/48'], bound)).toBeNull();
    expect(beyondAllowlist(['10.1.2.3', '192.168.0.0/16', '11.0.0.1'], bound)).toBe('192.168.0.0/16');
    expect(beyondAllowlist(['2001:db9::1'], bound)).toBe('2001:db9::1');
  });

  it('keeps the families apart and treats an empty list as every address', () => {
    expect(beyondAllowlist(['::ffff:10.0.0.1'], ['10.0.0.0/8'])).toBe('::ffff:10.0.0.1');
    expect(beyondAllowlist(['0.0.0.0/0'], ['::/0'])).toBe('0.0.0.0/0');
    expect(beyondAllowlist([], ['10.0.0.0/8'])).toBe('*');
    expect(beyondAllowlist([], [])).toBeNull();
    expect(beyondAllowlist(['203.0.113.7'], [])).toBeNull();
  });
});

const DAY = 86_400_000;
const NOW = Date.parse('2026-01-15T10:00:00Z');
const parent = (endsAt: number | null, ipAllowlist: string[] = []): DelegatingToken => ({ endsAt, ipAllowlist, limited: null });

describe('assertEndsWithinParent', () => {
  it('lets a child end with its parent or before, and refuses one that outlives it with expiration_too_long', () => {
    assertEndsWithinParent(parent(NOW + 30 * DAY), NOW + 30 * DAY, 'expires_in_days');
    assertEndsWithinParent(parent(NOW + 30 * DAY), NOW + DAY, 'expires_at');
    const error = refusal(() => assertEndsWithinParent(parent(NOW + 30 * DAY), NOW + 30 * DAY + 1, 'expires_at'));
    expect(error).toMatchObject({ code: 'expiration_too_long', status: 422, details: { field: 'expires_at', parent_expires_at: '2026-02-14T10:00:00.000Z' } });
  });

  it('refuses a child that never expires under a parent that does, and bounds nothing under one that never ends', () => {
    expect(refusal(() => assertEndsWithinParent(parent(NOW + DAY), null, 'expires_in_days')).code).toBe('expiration_required');
    assertEndsWithinParent(parent(null), null, 'expires_in_days');
    assertEndsWithinParent(parent(null), NOW + 3650 * DAY, 'expires_in_days');
  });
});

describe('expiryWithinParent', () => {
  it('cuts a rotation successor to the parent\'s end', () => {
    expect(expiryWithinParent(parent(NOW + DAY), NOW + 30 * DAY)).toBe(NOW + DAY);
    expect(expiryWithinParent(parent(NOW + 30 * DAY), NOW + DAY)).toBe(NOW + DAY);
    expect(expiryWithinParent(parent(NOW + DAY), null)).toBe(NOW + DAY);
    expect(expiryWithinParent(parent(null), null)).toBeNull();
  });
});

describe('allowlistWithinParent', () => {
  it("defaults to the parent's allowlist and keeps a narrower one", () => {
    expect(allowlistWithinParent(parent(null, ['10.0.0.0/8']), undefined)).toEqual(['10.0.0.0/8']);
    expect(allowlistWithinParent(parent(null, ['10.0.0.0/8']), ['10.1.0.0/16'])).toEqual(['10.1.0.0/16']);
    expect(allowlistWithinParent(parent(null), ['192.0.2.0/24'])).toEqual(['192.0.2.0/24']);
    expect(allowlistWithinParent(parent(null), undefined)).toEqual([]);
  });

  it('refuses a wider or an empty one with bound_exceeded on ip_allowlist', () => {
    for (const requested of [[], ['10.0.0.0/7'], ['10.1.0.0/16', '172.16.0.1']]) {
      const error = refusal(() => assertAllowlistWithinParent(parent(null, ['10.0.0.0/8']), requested));
      expect(error).toMatchObject({ code: 'bound_exceeded', status: 422, details: { field: 'ip_allowlist', parent_ip_allowlist: ['10.0.0.0/8'] } });
    }
    expect(refusal(() => assertAllowlistWithinParent(parent(null, ['10.0.0.0/8']), [])).message).toMatch(/empty ip_allowlist allows every address/);
  });
});
