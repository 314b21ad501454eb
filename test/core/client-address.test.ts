import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKey, UNKNOWN_ADDRESS } from '../../src/core/client-address.js';

describe('addressKey', () => {
  it('keys an IPv4 address as itself, also IPv4-mapped', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(addressKey('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('keys an IPv6 address by its /64, however it is written', () => {
    const key = '2001:db8:1:2::/64';
    for (const address of ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:0000:0000:0000:abcd', '2001:db8:1:2:0:0:1.2.3.4', '2001:db8:1:2::9%eth0']) {
      expect(addressKey(address), address).toBe(key);
    }
    expect(addressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(addressKey('1:2:3:4:5:6:7:8')).toBe('1:2:3:4::/64');
  });

  it('keys everything that is not an address as the one unknown client', () => {
    for (const value of [null, undefined, '', 'unknown', 'not-an-ip', '203.0.113.7:80', '[2001:db8::1]', '999.1.1.1', '2001:db8::1::2', 'guess-1']) {
      expect(addressKey(value), String(value)).toBe(UNKNOWN_ADDRESS);
    }
  });

  it('gives every address of one /64 the same key, and addresses of different /64s different keys', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    const groups = (n: number) => fc.array(group, { minLength: n, maxLength: n });
    fc.assert(
      fc.property(groups(4), groups(4), groups(4), (prefix, low1, low2) => {
        expect(addressKey([...prefix, ...low1].join(':'))).toBe(addressKey([...prefix, ...low2].join(':')));
      }),
    );
    fc.assert(
      fc.property(groups(4), groups(4), groups(4), (prefix1, prefix2, low) => {
        fc.pre(prefix1.map((g) => parseInt(g, 16)).join() !== prefix2.map((g) => parseInt(g, 16)).join());
        // Not the IPv4-mapped range, whose key is the IPv4 address.
        fc.pre(!prefix1.every((g) => g === '0') && !prefix2.every((g) => g === '0'));
        expect(addressKey([...prefix1, ...low].join(':'))).not.toBe(addressKey([...prefix2, ...low].join(':')));
      }),
    );
  });
});
