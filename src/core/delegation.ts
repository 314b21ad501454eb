import type { Token } from './model.js';
import { PolicyViolation } from './errors.js';
import { beyondAllowlist } from './ip-allowlist.js';
import { isoRequired } from './time.js';

/**
 * What a token hands on when it creates a token (or rotates another): never more than it has.
 * A child that outlived its parent, or worked from addresses the parent may not use, would let a
 * stolen, restricted, short-lived token launder itself into a free, long-lived one.
 */
export type DelegatingToken = {
  /** When the parent stops working on its own: its expiry, or the end of its rotation grace. */
  endsAt: number | null;
  /** The parent's normalized allowlist; empty means every address. */
  ipAllowlist: readonly string[];
  /** The parent itself when it has rate limits or credits, which what it makes shares. */
  limited: Token | null;
};

/** The request field an expiry came from, named in a refusal. */
export type ExpiryField = 'expires_in_days' | 'expires_at';

/** Refuses a child expiry past the parent's end (422); a parent that never ends bounds nothing. */
export function assertEndsWithinParent(parent: DelegatingToken, expiresAt: number | null, field: ExpiryField): void {
  if (parent.endsAt === null) return;
  if (expiresAt === null) {
    throw new PolicyViolation('expiration_required', 'A token created by a token must expire no later than the token creating it.', {
      field,
      parent_expires_at: isoRequired(parent.endsAt),
    });
  }
  if (expiresAt > parent.endsAt) {
    throw new PolicyViolation(
      'expiration_too_long',
      `A token created by a token may not outlive it: choose an expiry no later than ${isoRequired(parent.endsAt)}.`,
      { field, parent_expires_at: isoRequired(parent.endsAt) },
    );
  }
}

/** A rotation successor's expiry, cut to the rotating token's end (rotation asks for no expiry to refuse). */
export function expiryWithinParent(parent: DelegatingToken, expiresAt: number | null): number | null {
  if (parent.endsAt === null) return expiresAt;
  return expiresAt === null ? parent.endsAt : Math.min(expiresAt, parent.endsAt);
}

/**
 * The child's allowlist: the parent's when the request names none, else the requested one, which
 * must lie within the parent's (422 `bound_exceeded` naming the first entry beyond it).
 */
export function allowlistWithinParent(parent: DelegatingToken, requested: readonly string[] | undefined): string[] {
  if (requested === undefined) return [...parent.ipAllowlist];
  assertAllowlistWithinParent(parent, requested);
  return [...requested];
}

export function assertAllowlistWithinParent(parent: DelegatingToken, allowlist: readonly string[]): void {
  const beyond = beyondAllowlist(allowlist, parent.ipAllowlist);
  if (beyond === null) return;
  const what = beyond === '*' ? 'An empty ip_allowlist allows every address, which' : `The entry ${beyond}`;
  throw new PolicyViolation('bound_exceeded', `${what} reaches beyond the allowlist of the token creating it.`, {
    field: 'ip_allowlist',
    parent_ip_allowlist: [...parent.ipAllowlist],
  });
}
