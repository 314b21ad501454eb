import { BASE62, encodeBase62, randomBase62 } from './base62.js';
import { crc32 } from './crc32.js';

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

// One character longer than a token prefix may be, for the verifier prefix (`<prefix>v`).
const SHAPE = /^[a-z][a-z0-9]{0,16}_[0-9A-Za-z]{38}$/;
const UNDERSCORE = 0x5f;

export type ParsedApiKey = { prefix: string; random: string; checksum: string };

/** Parses an API key and checks its checksum; null when the shape, prefix or checksum is wrong. */
export function parseApiKey(token: string, expectedPrefix: string): ParsedApiKey | null {
  const bodyLength = expectedPrefix.length + 1 + RANDOM_LENGTH;
  if (token.length !== bodyLength + CHECKSUM_LENGTH) return null;
  // The shape has exactly one '_', so the prefix is what comes before it.
  if (!SHAPE.test(token) || token.charCodeAt(expectedPrefix.length) !== UNDERSCORE || !token.startsWith(expectedPrefix)) return null;
  if (!checksumMatches(token, bodyLength)) return null;
  return { prefix: expectedPrefix, random: token.slice(expectedPrefix.length + 1, bodyLength), checksum: token.slice(bodyLength) };
}

/**
 * The trailing digits decoded and compared with the CRC as numbers: the same test as
 * `checksumOf(body) === digits` (fixed width, and 62^6 > 2^32, so the encoding is one-to-one),
 * without the BigInt arithmetic and strings that encoding costs on every verify.
 */
function checksumMatches(token: string, bodyLength: number): boolean {
  let presented = 0;
  for (let i = bodyLength; i < token.length; i++) presented = presented * 62 + BASE62.indexOf(token[i]!);
  return presented === crc32(token.slice(0, bodyLength));
}

/**
 * Verifier credentials share the key format under `<prefix>v`: a verifier secret never parses as an
 * access token and an access token never as a verifier secret, and scanners for `<prefix>_` skip them.
 */
export function verifierPrefix(tokenPrefix: string): string {
  return `${tokenPrefix}v`;
}

/** A compact JWS has three base64url parts separated by dots. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** The hint shown in lists: the first four characters after the prefix and the last four. */
export function secretHint(secret: string): string {
  const underscore = secret.indexOf('_');
  const head = underscore >= 0 && underscore < 17 ? secret.slice(0, underscore + 5) : secret.slice(0, 4);
  return `${head}…${secret.slice(-4)}`;
}
