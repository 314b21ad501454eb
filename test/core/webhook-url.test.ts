import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywardError } from '../../src/core/errors.js';
import { addressKind, addressRefusal, checkWebhookUrl } from '../../src/core/webhook-url.js';

const refusalOf = (url: string, allowPrivate = false): { status: number; code: string; message: string } | null => {
  try {
    checkWebhookUrl(url, { allowPrivate });
    return null;
  } catch (error) {
    if (!(error instanceof KeywardError)) throw error;
    return { status: error.status, code: error.code, message: error.message };
  }
};

describe('addressKind', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['203.0.113.10', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.255.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'private'],
    ['fc00::1', 'unique_local'],
    ['fdff:ffff::1', 'unique_local'],
    ['ff02::1', 'multicast'],
    ['100::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a9fe:a9fe', 'link_local'],
    ['::ffff:8.8.8.8', 'public'],
    ['0:0:0:0:0:ffff:c0a8:101', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:c0a8:101::1', 'private'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
  ])('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });

  it('is null for what is no IP address', () => {
    for (const text of ['example.com', '', '1.2.3', '::g', '256.0.0.1']) expect(addressKind(text)).toBeNull();
  });

  it('judges an IPv4 address and its IPv4-mapped IPv6 forms alike', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
        const hex = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        expect(addressKind(`::ffff:${v4}`)).toBe(addressKind(v4));
        expect(addressKind(hex)).toBe(addressKind(v4));
        expect(addressKind(new URL(`http://[::ffff:${v4}]/`).hostname)).toBe(addressKind(v4));
      }),
    );
  });

  it('refuses only public addresses never, and everything when private targets are not allowed', () => {
    expect(addressRefusal('8.8.8.8', false)).toBeNull();
    expect(addressRefusal('10.0.0.1', false)).toBe('a private address');
    expect(addressRefusal('10.0.0.1', true)).toBeNull();
    expect(addressRefusal('not an address', true)).toBe('not an IP address');
  });
});

describe('checkWebhookUrl', () => {
  it('accepts http and https URLs of public hosts, normalized', () => {
    expect(checkWebhookUrl('https://hooks.example.com/keyward?x=1', { allowPrivate: false }).href).toBe('https://hooks.example.com/keyward?x=1');
    expect(checkWebhookUrl('HTTP://Hooks.Example.COM:8080', { allowPrivate: false }).href).toBe('http://hooks.example.com:8080/');
    expect(checkWebhookUrl('https://203.0.113.10/h', { allowPrivate: false }).hostname).toBe('203.0.113.10');
  });

  it('answers 400 to what is no absolute URL', () => {
    for (const text of ['not a url', '/relative/path', 'http://']) expect(refusalOf(text)).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it.each([
    ['ftp://example.com/x', 'http or https'],
    ['javascript:alert(1)', 'http or https'],
    ['ws://example.com/x', 'http or https'],
    ['https://user@example.com/x', 'user name or password'],
    ['https://user:pass@example.com/x', 'user name or password'],
    ['http://localhost/x', 'loopback'],
    ['http://LOCALHOST./x', 'loopback'],
    ['http://app.localhost/x', 'loopback'],
    ['http://127.1/x', 'loopback'],
    ['http://0x7f000001/x', 'loopback'],
    ['http://017700000001/x', 'loopback'],
    ['http://[0:0:0:0:0:0:0:1]/x', 'loopback'],
    ['http://[::ffff:192.168.0.1]/x', 'private'],
    ['http://[fd00:ec2::254]/x', 'unique local'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://0/x', 'unspecified'],
  ])('refuses %s with 422 (%s)', (url, reason) => {
    expect(refusalOf(url)).toMatchObject({ status: 422, code: 'url_not_allowed', message: expect.stringContaining(reason) });
  });

  it('lets private targets through where allowed, but never another scheme or credentials', () => {
    for (const url of ['http://localhost:3000/x', 'http://10.0.0.1/x', 'http://[::1]:8080/x', 'http://[fd00::1]/x']) expect(refusalOf(url, true)).toBeNull();
    expect(refusalOf('ftp://10.0.0.1/x', true)).toMatchObject({ status: 422 });
    expect(refusalOf('http://a:b@10.0.0.1/x', true)).toMatchObject({ status: 422 });
  });
});
