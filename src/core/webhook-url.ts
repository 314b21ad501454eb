import { isIP } from 'node:net';
import { PolicyViolation, ValidationFailed } from './errors.js';

/**
 * Where a webhook may point. The server POSTs to whatever an org admin types, so an endpoint on
 * the deployment's own network (a metadata service, a database's HTTP port, the admin UI of a
 * router) would turn webhooks into a way to reach it: only public addresses are allowed, unless
 * the deployment says its receivers live on a private network (KEYWARD_WEBHOOK_ALLOW_PRIVATE).
 * The same rule is applied again to the address a name resolves to when delivering.
 */

/** What kind of address an IP is; only `public` ones are webhook targets by default. */
export type AddressKind = 'public' | 'private' | 'loopback' | 'link_local' | 'unique_local' | 'unspecified' | 'multicast' | 'reserved';

const DESCRIPTIONS: Record<Exclude<AddressKind, 'public'>, string> = {
  private: 'a private address',
  loopback: 'a loopback address',
  link_local: 'a link-local address',
  unique_local: 'a unique local address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

function ipv4Kind([a, b]: readonly number[]): AddressKind {
  if (a === undefined || b === undefined) return 'reserved';
  if (a === 0) return 'unspecified';
  if (a === 10 || (a === 172 && (b & 0xf0) === 16) || (a === 192 && b === 168)) return 'private';
  // Carrier-grade NAT space (100.64.0.0/10) is as internal as RFC 1918 from the server's side.
  if (a === 100 && (b & 0xc0) === 64) return 'private';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link_local';
  if (a >= 224 && a < 240) return 'multicast';
  if (a >= 240) return 'reserved';
  return 'public';
}

function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address (without a zone), or null when it is not one. */
function ipv6Bytes(text: string): number[] | null {
  if (isIP(text) !== 6) return null;
  let s = text;
  // An embedded dotted quad (::ffff:127.0.0.1) becomes its two hex groups.
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(tail);
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = s.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? front : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

function ipv6Kind(bytes: readonly number[]): AddressKind {
  const at = (i: number) => bytes[i] ?? 0;
  const zeroUntil = (end: number) => bytes.slice(0, end).every((b) => b === 0);
  const v4 = (from: number, mask = 0) => ipv4Kind(bytes.slice(from, from + 4).map((b) => b ^ mask));
  if (zeroUntil(16)) return 'unspecified';
  if (zeroUntil(15) && at(15) === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) forms reach the IPv4 address.
  if (zeroUntil(10) && at(10) === 0xff && at(11) === 0xff) return v4(12);
  if (zeroUntil(12)) return v4(12);
  // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address; its local-use prefix (64:ff9b:1::/48) a local network.
  if (at(0) === 0 && at(1) === 0x64 && at(2) === 0xff && at(3) === 0x9b) {
    if (bytes.slice(4, 12).every((b) => b === 0)) return v4(12);
    if (at(4) === 0 && at(5) === 1) return 'private';
  }
  // 6to4 (2002::/16) embeds an IPv4 address after the prefix; Teredo (2001::/32) its client's, inverted.
  if (at(0) === 0x20 && at(1) === 0x02) return v4(2);
  if (at(0) === 0x20 && at(1) === 0x01 && at(2) === 0 && at(3) === 0) return v4(12, 0xff);
  if (at(0) === 0xfe && (at(1) & 0xc0) === 0x80) return 'link_local';
  // Site-local (fec0::/10) is deprecated but still means "this site".
  if (at(0) === 0xfe && (at(1) & 0xc0) === 0xc0) return 'private';
  if ((at(0) & 0xfe) === 0xfc) return 'unique_local';
  if (at(0) === 0xff) return 'multicast';
  // The discard-only prefix (100::/64).
  if (at(0) === 0x01 && bytes.slice(1, 8).every((b) => b === 0)) return 'reserved';
  return 'public';
}

/** The kind of an IP address (IPv4, IPv6 with or without brackets or a zone), or null when it is none. */
export function addressKind(address: string): AddressKind | null {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return ipv4Kind(ipv4Bytes(bare));
  if (family === 6) {
    const bytes = ipv6Bytes(bare);
    return bytes ? ipv6Kind(bytes) : null;
  }
  return null;
}

/** Why an address is no webhook target, in words for a problem's detail, or null when it is one. */
export function addressRefusal(address: string, allowPrivate: boolean): string | null {
  const kind = addressKind(address);
  if (kind === null) return 'not an IP address';
  if (kind === 'public' || allowPrivate) return null;
  return DESCRIPTIONS[kind];
}

/** A webhook's host: an IP literal, checked at once, or a name, checked on each resolution. */
export type WebhookHost = { kind: 'address'; address: string } | { kind: 'name'; name: string };

export function webhookHost(url: URL): WebhookHost {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) === 0 ? { kind: 'name', name: host.replace(/\.$/, '').toLowerCase() } : { kind: 'address', address: host };
}

/** Names that mean this machine whatever a resolver says (RFC 6761). */
function isLocalhostName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

const refused = (message: string) => new PolicyViolation('url_not_allowed', message, { field: 'url' });

/**
 * A webhook URL as it will be stored (normalized by the WHATWG parser, which also turns the odd
 * IPv4 spellings such as `http://2130706433/` into dotted quads): http or https, no credentials,
 * and no private target unless allowed. Not a URL is a shape error (400); the rest are 422.
 */
export function checkWebhookUrl(text: string, options: { allowPrivate: boolean }): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationFailed('url is not an absolute URL.', { field: 'url' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refused('A webhook URL must be http or https.');
  // Credentials in a URL end up in logs and the portal; the signature is what authenticates Keyward.
  if (url.username !== '' || url.password !== '') throw refused('A webhook URL must not carry a user name or password.');
  const host = webhookHost(url);
  if (host.kind === 'address') {
    const reason = addressRefusal(host.address, options.allowPrivate);
    if (reason) throw refused(`A webhook URL must not point to ${reason}.`);
  } else if (host.name === '') {
    throw new ValidationFailed('url has no host.', { field: 'url' });
  } else if (isLocalhostName(host.name) && !options.allowPrivate) {
    throw refused('A webhook URL must not point to a loopback address.');
  }
  return url;
}
