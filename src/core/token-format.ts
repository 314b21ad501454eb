import { BASE62_VALUE, encodeBase62, randomBase62 } from './base62.js';
import { crc32, CRC32_TABLE } from './crc32.js';

/**
 * Opaque API keys: `<prefix>_<32 base62 random><6 base62 CRC32>`. The checksum covers everything
 * before it, so typos and forgeries are rejected without touching the database.
 */
export const RANDOM_LENGTH = 32;
export const CHECKSUM_LENGTH = 6;
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,15}$/;

export function isValidPrefix(prefix: string): boolean {
  return PREFIX_PATTERN.test(prefix);
}

export function checksumOf(body: string): string {
  return encodeBase62(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

export function generateApiKey(prefix: string): string {
  const body = `${prefix}_${randomBase62(RANDOM_LENGTH)}`;
  return body + checksumOf(body);
}

/** The regex secret scanners use to find tokens of this deployment's prefix. */
export function apiKeyPattern(prefix: string): RegExp {
  return new RegExp(`\\b${prefix}_[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}\\b`, 'g');
}

export type ParsedApiKey = { prefix: string; random: string; checksum: string };

/** Parses an API key and checks its checksum; null when the shape, prefix or checksum is wrong. */
export function parseApiKey(token: string, expectedPrefix: string): ParsedApiKey | null {
  if (!isApiKey(token, expectedPrefix)) return null;
  const bodyLength = expectedPrefix.length + 1 + RANDOM_LENGTH;
  return { prefix: expectedPrefix, random: token.slice(expectedPrefix.length + 1, bodyLength), checksum: token.slice(bodyLength) };
}

/**
 * Whether a token has this prefix, the shape and a matching checksum: one pass over its
 * characters, no regular expression and no allocation, as it runs on every verify.
 */
export function isApiKey(token: string, expectedPrefix: string): boolean {
  const bodyLength = expectedPrefix.length + 1 + RANDOM_LENGTH;
  if (token.length !== bodyLength + CHECKSUM_LENGTH || !token.startsWith(expectedPrefix) || token.charCodeAt(expectedPrefix.length) !== UNDERSCORE) {
    return false;
  }
  // The trailing digits decoded and compared with the CRC as numbers: the same test as
  // `checksumOf(body) === digits` (fixed width, and 62^6 > 2^32, so the encoding is one-to-one).
  let presented = 0;
  for (let i = bodyLength; i < token.length; i++) {
    const code = token.charCodeAt(i);
    const digit = code < 128 ? BASE62_VALUE[code]! : -1;
    if (digit < 0) return false;
    presented = presented * 62 + digit;
  }
  // The CRC (as in `crc32`) is computed in the same pass that checks the random part's alphabet.
  let crc = 0xffffffff;
  for (let i = 0; i < bodyLength; i++) {
    const code = token.charCodeAt(i);
    if (i > expectedPrefix.length && (code >= 128 || BASE62_VALUE[code]! < 0)) return false;
    crc = CRC32_TABLE[(crc ^ code) & 0xff]! ^ (crc >>> 8);
  }
  return presented === (crc ^ 0xffffffff) >>> 0;
}

const UNDERSCORE = 0x5f;


/**
 * Verifier credentials share the key format under `<prefix>v`: a verifier secret never parses as an
 * access token and an access token never as a verifier secret, and scanners for `<prefix>_` skip them.
 */
export function verifierPrefix(tokenPrefix: string): string {
  return `${tokenPrefix}v`;
}

/** A compact JWS has three base64url parts separated by dots. */
export function looksLikeJwt(token: string): boolean {
  // The dot first: most tokens presented are API keys, which have none.
  return token.indexOf('.') > 0 && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** The hint shown in lists: the first four characters after the prefix and the last four. */
export function secretHint(secret: string): string {
  const underscore = secret.indexOf('_');
  const head = underscore >= 0 && underscore < 17 ? secret.slice(0, underscore + 5) : secret.slice(0, 4);
  return `${head}…${secret.slice(-4)}`;
}
