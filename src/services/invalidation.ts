import type { TokenCache } from './token-cache.js';
import type { VerifierCache } from './verifier-cache.js';

/**
 * The port through which a committed change reaches the caches that could still answer from
 * before it. In one process it drops local entries; cluster mode also tells the other processes.
 */
export interface Invalidation {
  /** One token changed (revoked, disabled, enabled, rotated). */
  token(tokenId: string): void;
  /** A token of this stored digest was created: a cached "unknown" for it must go. */
  tokenCreated(digest: string): void;
  /** A user's standing changed: their tokens, and the impersonation tokens they created. */
  owner(userId: string): void;
  /** An org's plan, features, policy or roles changed: every token of the org. */
  org(orgId: string): void;
  verifier(verifierId: string): void;
  /** The JWT signing keys changed: every process reloads them. */
  signingKeys(): void;
  /** `local` in one process; in a cluster, whether notifications are arriving (`live`) or may be lost. */
  readonly state: 'local' | 'live' | 'degraded';
  close(): Promise<void>;
}

/** What one message tells a process to drop. */
export type InvalidationMessage =
  | { kind: 'token' | 'owner' | 'org' | 'verifier'; id: string }
  | { kind: 'created'; digest: string }
  | { kind: 'signing_keys' };

/** Drops what a change touches from this process's caches. */
export class LocalInvalidation implements Invalidation {
  readonly state = 'local' as const;

  constructor(
    private readonly tokens: TokenCache,
    private readonly verifiers: VerifierCache,
    private readonly onSigningKeys: () => void = () => undefined,
  ) {}

  apply(message: InvalidationMessage): void {
    if (message.kind === 'signing_keys') this.signingKeys();
    else if (message.kind === 'created') this.tokenCreated(message.digest);
    else this[message.kind](message.id);
  }

  token(tokenId: string): void {
    this.tokens.drop((r) => r.token.id === tokenId);
  }

  tokenCreated(digest: string): void {
    this.tokens.created(digest);
  }

  owner(userId: string): void {
    this.tokens.drop((r) => r.token.ownerId === userId || r.token.createdBy === userId);
  }

  org(orgId: string): void {
    this.tokens.drop((r) => r.token.orgId === orgId);
  }

  verifier(verifierId: string): void {
    this.verifiers.drop(verifierId);
  }

  signingKeys(): void {
    this.onSigningKeys();
  }

  async close(): Promise<void> {}
}
