import { isIP } from 'node:net';

/** What per-address limits count under when a request has no usable address (a CLI call, a test). */
export const UNKNOWN_ADDRESS = 'unknown';

/**
 * The key a per-address limit counts a client under: an IPv4 address as it is (also when it
 * arrives IPv4-mapped, `::ffff:192.0.2.1`), and an IPv6 address by its /64. A single IPv6 host
 * is normally given a whole /64 and picks addresses in it freely, so keying on the full address
 * would hand it 2^64 fresh allowances. Anything that is not an address counts as one unknown
 * client, never as a key of its own (a garbage key would be a fresh allowance too).
 */
export function addressKey(ip: string | null | undefined): string {
  if (!ip) return UNKNOWN_ADDRESS;
  // The common case first, without parsing: a dotted IPv4 address is its own key.
  if (!ip.includes(':')) return isIP(ip) === 4 ? ip : UNKNOWN_ADDRESS;
  const zone = ip.indexOf('%');
  const bare = zone === -1 ? ip : ip.slice(0, zone);
  if (isIP(bare) !== 6) return UNKNOWN_ADDRESS;
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (with `::` expanded, a dotted tail as two groups). */
function ipv6Groups(address: string): number[] {
  const parse = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((group) => {
      if (!group.includes('.')) return [parseInt(group, 16)];
      const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const gap = address.indexOf('::');
  if (gap === -1) return parse(address);
  const head = parse(address.slice(0, gap));
  const tail = parse(address.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}
