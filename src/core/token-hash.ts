import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Secrets carry ~190 bits of entropy, so a keyed fast hash is the right tool (no slow KDF):
 * HMAC-SHA-256 with a pepper that lives outside the database.
 */
export function digestSecret(pepper: Buffer, secret: string): string {
  return createHmac('sha256', pepper).update(secret, 'utf8').digest('hex');
}

/** Constant-time equality of two hex digests (or any two strings). */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
