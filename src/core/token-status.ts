import { DAY_MS } from './policy.js';

export const TOKEN_STATUSES = ['active', 'expired', 'revoked', 'disabled'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

/**
 * Why a token is disabled, which decides who may enable it again: `manual` by its owner,
 * `administrative` by a manager, `owner_deactivated` by the system when its owner left.
 */
export const DISABLED_REASONS = ['manual', 'administrative', 'owner_deactivated'] as const;
export type DisabledReason = (typeof DISABLED_REASONS)[number];

/**
 * Why a token was revoked: by hand, replaced by its successor, with its chain on reuse, or because
 * someone reported it leaked (`POST /api/v1/leaks`).
 */
export const REVOKED_REASONS = ['manual', 'rotated', 'reuse_detected', 'leaked'] as const;
export type RevokedReason = (typeof REVOKED_REASONS)[number];

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
