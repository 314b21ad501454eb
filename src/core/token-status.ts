import { DAY_MS } from './policy.js';

export type TokenStatus = 'active' | 'expired' | 'revoked' | 'disabled';

export type StatusFields = {
  expiresAt: number | null;
  revokedAt: number | null;
  disabledAt: number | null;
};

/**
 * A token's status at `nowMs`. Revocation wins over everything (it is permanent); a rotated-away
 * token carries a future `revokedAt` — the end of its grace period — and stays active until then.
 */
export function tokenStatus(token: StatusFields, nowMs: number): TokenStatus {
  if (token.revokedAt !== null && token.revokedAt <= nowMs) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt <= nowMs) return 'expired';
  if (token.disabledAt !== null) return 'disabled';
  return 'active';
}

/** The moment a token stops working on its own: its expiry or the end of a rotation grace. */
export function effectiveEnd(token: StatusFields): number | null {
  if (token.revokedAt === null) return token.expiresAt;
  if (token.expiresAt === null) return token.revokedAt;
  return Math.min(token.revokedAt, token.expiresAt);
}

/** Inside the warning window before the token's end, and still active. */
export function isExpiringSoon(token: StatusFields, warningWindowDays: number, nowMs: number): boolean {
  const end = effectiveEnd(token);
  if (end === null || tokenStatus(token, nowMs) !== 'active') return false;
  return end - nowMs <= warningWindowDays * DAY_MS;
}
