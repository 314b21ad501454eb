import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywardError } from '../../src/core/errors.js';
import { compileAllowlist, parseAllowlist } from '../../src/core/ip-allowlist.js';

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const ipv4Number = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const fromNumber = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

describe('parseAllowlist', () => {
  it('accepts every IPv4 and IPv6 address and CIDR, trimmed and de-duplicated', () => {
    fc.assert(
      fc.property(ipv4, fc.integer({ min: 0, max: 32 }), fc.ipV6(), fc.integer({ min: 0, max: 128 }), (v4, b4, v6, b6) => {
        expect(parseAllowlist([` ${v4} `, v4, `${v4}/${b4}`, v6, `${v6}/${b6}`])).toEqual(
          [...new Set([v4, `${v4}/${b4}`, v6, `${v6}/${b6}`])],
        );
      }),
    );
  });

  it('refuses anything else with a 400 naming the entry', () => {
    for (const entry of ['', 'localhost', '10.0.0.256', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/8/8', '::1/129', '10.0.0.0/-1', '10.0.0.0/08a']) {
      let error: unknown;
      try {
        parseAllowlist([entry]);
      } catch (e) {
        error = e;
      }
      expect(error, entry).toBeInstanceOf(KeywardError);
      expect((error as KeywardError).status).toBe(400);
      expect((error as KeywardError).message).toContain(`"${entry}"`);
    }
  });
});

describe('compileAllowlist', () => {
  it('allows every address when the list is empty', () => {
    fc.assert(
      fc.property(fc.oneof(ipv4, fc.ipV6()), (ip) => {
        expect(compileAllowlist([])(ip)).toBe(true);
      }),
    );
  });

  it('allows an address listed alone, and its ::ffff: mapped form', () => {
    fc.assert(
      fc.property(ipv4, (ip) => {
        expect(compileAllowlist([ip])(ip)).toBe(true);
        expect(compileAllowlist([ip])(`::ffff:${ip}`)).toBe(true);
      }),
    );
  });

  it('allows exactly the IPv4 addresses inside a CIDR range', () => {
    fc.assert(
      fc.property(ipv4, fc.integer({ min: 0, max: 32 }), ipv4, (base, bits, candidate) => {
        const size = 2 ** (32 - bits);
        const start = Math.floor(ipv4Number(base) / size) * size;
        const inside = ipv4Number(candidate) >= start && ipv4Number(candidate) < start + size;
        expect(compileAllowlist(parseAllowlist([`${base}/${bits}`]))(candidate)).toBe(inside);
        expect(compileAllowlist([`${base}/${bits}`])(fromNumber(start + size - 1))).toBe(true);
      }),
    );
  });

  it('handles IPv6 ranges', () => {
    expect(compileAllowlist(['2001:db8::/32'])('2001:db8:ffff::1')).toBe(true);
    expect(compileAllowlist(['2001:db8::/32'])('2001:db9::1')).toBe(false);
    expect(compileAllowlist(['::1'])('::1')).toBe(true);
    expect(compileAllowlist(['::1'])('127.0.0.1')).toBe(false);
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        expect(compileAllowlist(['::/0'])(ip)).toBe(true);
      }),
    );
  });

  it('never allows something that is not an address when a list is set', () => {
    for (const ip of ['', 'localhost', '10.0.0.1/32', 'not-an-ip', '::ffff:999.1.1.1']) {
      expect(compileAllowlist(['0.0.0.0/0', '::/0'])(ip), ip).toBe(false);
    }
  });
});

describe('zone ids', () => {
  it('refuses IPv6 zone ids in allowlists and never matches them', () => {
    expect(() => parseAllowlist(['fe80::1%eth0'])).toThrow(/not an IP address/);
    expect(compileAllowlist(['fe80::/10'])('fe80::1%eth0')).toBe(false);
  });
});
