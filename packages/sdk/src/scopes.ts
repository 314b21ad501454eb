import type { VerifiedToken, VerifyAnswer } from './wire.js';

/** What Keyward answers for a token in force and the scopes a request needs: all must be held. */
export function scopeAnswer(token: VerifiedToken, required: readonly string[]): VerifyAnswer {
  const missing = required.filter((scope) => !token.scopes.includes(scope));
  return missing.length === 0 ? { valid: true, code: 'VALID', token } : { valid: false, code: 'INSUFFICIENT_SCOPE', token, missing_scopes: missing };
}
