import { BlockList, isIP } from 'node:net';
import { ValidationFailed } from './errors.js';

/** Normalizes an allowlist of IPs and CIDRs; throws naming the first bad entry. */
export function parseAllowlist(entries: readonly string[]): string[] {
  return [...new Set(entries.map((entry) => normalizeEntry(entry.trim())))];
}

function normalizeEntry(entry: string): string {
  const [address = '', bits, extra] = entry.split('/');
  // Zone ids (fe80::1%eth0) name an interface of one host; a remote client never matches them.
  const family = address.includes('%') ? 0 : isIP(address);
  const maxBits = family === 6 ? 128 : 32;
  const prefix = bits === undefined ? maxBits : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (family === 0 || extra !== undefined || !(prefix >= 0 && prefix <= maxBits)) {
    throw new ValidationFailed(`ip_allowlist entry "${entry}" is not an IP address or CIDR range.`, {
      field: 'ip_allowlist',
    });
  }
  return bits === undefined ? address : `${address}/${prefix}`;
}

type Range = { address: string; bits: number; type: 'ipv4' | 'ipv6' };

/** A normalized entry (as `parseAllowlist` answers) as an address range. */
function rangeOf(entry: string): Range {
  const [address = '', bits] = entry.split('/');
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  return { address, bits: bits === undefined ? (type === 'ipv6' ? 128 : 32) : Number(bits), type };
}

/**
 * Whether every address of `entry` lies in `bound` (both normalized entries). A range at least
 * as narrow as the bound sits in one block of the bound's size, so testing one of its addresses
 * decides it. IPv4 and IPv6 never contain each other.
 */
function rangeWithin(entry: string, bound: string): boolean {
  const inner = rangeOf(entry);
  const outer = rangeOf(bound);
  if (inner.type !== outer.type || inner.bits < outer.bits) return false;
  const list = new BlockList();
  list.addSubnet(outer.address, outer.bits, outer.type);
  return list.check(inner.address, inner.type);
}

/**
 * The first entry of `allowlist` that reaches beyond `bound`, or null when it lies within it
 * (normalized lists; an empty list allows every address). An empty `allowlist` under a non-empty
 * bound is every address: answered as `*`.
 */
export function beyondAllowlist(allowlist: readonly string[], bound: readonly string[]): string | null {
  if (bound.length === 0) return null;
  if (allowlist.length === 0) return '*';
  return allowlist.find((entry) => !bound.some((outer) => rangeWithin(entry, outer))) ?? null;
}

/** A compiled allowlist: built once per token record, asked on every verify. */
export type AddressMatcher = (ip: string) => boolean;

const EVERY_ADDRESS: AddressMatcher = () => true;

/** Whether an address falls in the allowlist; an empty list allows every address. */
export function compileAllowlist(allowlist: readonly string[]): AddressMatcher {
  if (allowlist.length === 0) return EVERY_ADDRESS;
  const list = new BlockList();
  for (const entry of allowlist) {
    const [address = '', bits] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return (ip) => {
    const bare = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
    const family = bare.includes('%') ? 0 : isIP(bare);
    if (family === 0) return false;
    return list.check(bare, family === 6 ? 'ipv6' : 'ipv4');
  };
}
