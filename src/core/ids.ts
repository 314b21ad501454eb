import { encodeBase62, randomBase62 } from './base62.js';

export type IdPrefix = 'org' | 'usr' | 'svc' | 'tok' | 'rol' | 'evt' | 'vrf' | 'ses' | 'key' | 'whk' | 'dlv';

/**
 * Prefixed ids whose first 9 characters encode the creation time in milliseconds, so ids sort by
 * creation and serve directly as pagination cursors; 14 random characters (~83 bits) follow.
 */
export function newId(prefix: IdPrefix, nowMs: number): string {
  return `${prefix}_${encodeBase62(BigInt(nowMs), 9)}${randomBase62(14)}`;
}

const ID_PATTERN = /^[a-z]{3}_[0-9A-Za-z]{23}$/;

export function isId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}
