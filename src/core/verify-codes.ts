/** What a verify answers about a token (DESIGN §4), in the order the checks run. */
export const VERIFY_CODES = [
  'VALID',
  'MALFORMED',
  'NOT_FOUND',
  'EXPIRED',
  'REVOKED',
  'DISABLED',
  'IP_NOT_ALLOWED',
  'INSUFFICIENT_SCOPE',
  'RATE_LIMITED',
  'USAGE_EXCEEDED',
] as const;

export type VerifyCode = (typeof VERIFY_CODES)[number];

/**
 * The codes under which verify still describes the token: it is in force, only short of a scope,
 * of room under a rate limit or of credits, or not.
 */
export function describesToken(code: VerifyCode): boolean {
  return code === 'VALID' || code === 'INSUFFICIENT_SCOPE' || code === 'RATE_LIMITED' || code === 'USAGE_EXCEEDED';
}

/** The codes of a token in force that its usage controls held back (429 on the product side). */
export function isThrottled(code: VerifyCode): code is 'RATE_LIMITED' | 'USAGE_EXCEEDED' {
  return code === 'RATE_LIMITED' || code === 'USAGE_EXCEEDED';
}
