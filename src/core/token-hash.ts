import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/**
 * Secrets carry ~190 bits of entropy, so a keyed fast hash is the right tool (no slow KDF):
 * HMAC-SHA-256 with a pepper that lives outside the database.
 */
export function digestSecret(pepper: Buffer, secret: string): string {
  return createHmac('sha256', pepper).update(secret, 'utf8').digest('hex');
}

/**
 * The key of a secret in this process's memory (the verify caches): one SHA-256, about eight times
 * cheaper than the HMAC, so a cache hit never pays the HMAC. Safe without the pepper because it
 * never leaves the process: the pepper guards digests at rest (a stolen database), and whoever
 * reads this process's memory holds the pepper too. A hit still means the store found the record
 * by the HMAC once; SHA-256's collision resistance keeps any other secret off that entry.
 */
export function memoryKey(secret: string): string {
  // binary (latin1): the 32 bytes as a 32-character string, the cheapest key to make and to look up.
  return hash('sha256', secret, 'binary');
}

/** Constant-time equality of two hex digests (or any two strings). */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
