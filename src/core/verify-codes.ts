/**
 * What a verify answers about a token (DESIGN §4), in the order the checks run. Only codes the
 * verify path produces are listed; usage controls add theirs when they exist.
 */
export const VERIFY_CODES = [
  'VALID',
  'MALFORMED',
  'NOT_FOUND',
  'EXPIRED',
  'REVOKED',
  'DISABLED',
  'IP_NOT_ALLOWED',
  'INSUFFICIENT_SCOPE',
] as const;

export type VerifyCode = (typeof VERIFY_CODES)[number];

/** The codes under which verify still describes the token: it is in force, only short of a scope or not. */
export function describesToken(code: VerifyCode): boolean {
  return code === 'VALID' || code === 'INSUFFICIENT_SCOPE';
}
