import type { Token } from './model.js';
import { tokenStatus, type DisabledReason, type RevokedReason } from './token-status.js';

/**
 * The token state machine: every way a token stops or starts working again, in one place. Who may
 * cause a transition is the services' business; whether the token's state allows it is decided here.
 */
export type TokenEvent =
  /** Immediate and permanent. */
  | { type: 'revoke'; reason: Exclude<RevokedReason, 'rotated'> }
  /** A reversible suspension. */
  | { type: 'disable'; reason: DisabledReason }
  | { type: 'enable' }
  /** Rotation: the successor takes over and this token ends when the grace period does. */
  | { type: 'replace'; successorId: string; graceEndsAt: number };

export type TokenStateChange = Partial<Pick<Token, 'revokedAt' | 'revokedReason' | 'disabledAt' | 'disabledReason' | 'replacedBy'>>;

export type Transition =
  | { outcome: 'change'; change: TokenStateChange }
  /** Already in the state asked for (revoking a revoked token): nothing to write or audit. */
  | { outcome: 'unchanged' }
  | { outcome: 'refused'; reason: string };

type TokenState = Pick<Token, 'expiresAt' | 'revokedAt' | 'disabledAt' | 'replacedBy'>;

export function transition(token: TokenState, event: TokenEvent, nowMs: number): Transition {
  const status = tokenStatus(token, nowMs);
  const change = (c: TokenStateChange): Transition => ({ outcome: 'change', change: c });
  const refused = (reason: string): Transition => ({ outcome: 'refused', reason });
  switch (event.type) {
    case 'revoke':
      if (status === 'revoked') return { outcome: 'unchanged' };
      return change({ revokedAt: nowMs, revokedReason: event.reason });
    case 'disable':
      if (status === 'revoked' || status === 'expired') return refused(`A ${status} token cannot be disabled.`);
      if (status === 'disabled') return { outcome: 'unchanged' };
      return change({ disabledAt: nowMs, disabledReason: event.reason });
    case 'enable':
      if (status === 'revoked' || status === 'expired') return refused(`A ${status} token cannot be enabled.`);
      if (status !== 'disabled') return { outcome: 'unchanged' };
      return change({ disabledAt: null, disabledReason: null });
    case 'replace':
      if (token.replacedBy !== null) return refused('This token was already rotated.');
      // A disabled token stays suspended: a fresh successor would undo the suspension.
      if (status !== 'active') return refused(`A ${status} token cannot be rotated.`);
      return change({ replacedBy: event.successorId, revokedAt: event.graceEndsAt, revokedReason: 'rotated' });
  }
}

/**
 * A rotation chain holds at most two live secrets (the newest and the one it replaced). Rotating a
 * token whose predecessor is still in its grace period ends that grace now, or rotating again and
 * again would keep a week's worth of working secrets. The change to write to the predecessor, or
 * null when it is no longer live anyway.
 */
export function endGrace(predecessor: TokenState & Pick<Token, 'revokedReason'>, nowMs: number): TokenStateChange | null {
  if (predecessor.revokedReason !== 'rotated' || predecessor.replacedBy === null) return null;
  if (predecessor.revokedAt === null || predecessor.revokedAt <= nowMs) return null;
  if (predecessor.expiresAt !== null && predecessor.expiresAt <= nowMs) return null;
  return { revokedAt: nowMs };
}

/** The audit action each transition is recorded as. */
export const TRANSITION_ACTIONS: Record<TokenEvent['type'], string> = {
  revoke: 'token.revoked',
  disable: 'token.disabled',
  enable: 'token.enabled',
  replace: 'token.rotated',
};
