import { randomBytes } from 'node:crypto';

/** ASCII order, so fixed-width base62 strings sort like the numbers they encode. */
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` characters drawn uniformly from the base62 alphabet (rejection sampling, no bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: bytes at or above it would bias the low digits.
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A non-negative integer as exactly `width` base62 digits (left-padded with '0'). */
export function encodeBase62(value: bigint, width: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = BASE62[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out;
}

/** Each ASCII code's base62 digit value, or -1: decoding without searching the alphabet. */
export const BASE62_VALUE = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE62.length; i++) table[BASE62.charCodeAt(i)] = i;
  return table;
})();

export function isBase62(text: string): boolean {
  return /^[0-9A-Za-z]*$/.test(text);
}
