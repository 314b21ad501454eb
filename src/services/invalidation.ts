import type { InvalidationMessage } from './invalidation-message.js';
import type { InvalidationOrigin, Metrics } from './metrics.js';
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


/** Drops what a change touches from this process's caches. */
export class LocalInvalidation implements Invalidation {
  readonly state = 'local' as const;

  constructor(
    private readonly tokens: TokenCache,
    private readonly verifiers: VerifierCache,
    private readonly metrics: Metrics,
    private readonly onSigningKeys: () => void = () => undefined,
  ) {}

  private readonly observers: ((message: InvalidationMessage) => void)[] = [];

  /** Also tells `observer` of every message, once the caches dropped what it names (the revocation feed). */
  observe(observer: (message: InvalidationMessage) => void): void {
    this.observers.push(observer);
  }

  /** Drops what the message names: a change of this process's (`local`), or another's. */
  apply(message: InvalidationMessage, origin: InvalidationOrigin = 'local'): void {
    this.metrics.invalidation(message.kind, origin);
    this.drop(message);
    for (const observer of this.observers) observer(message);
  }

  private drop(message: InvalidationMessage): void {
    switch (message.kind) {
      case 'token':
        return this.tokens.drop((r) => r.token.id === message.id);
      case 'created':
        return this.tokens.created(message.digest);
      case 'owner':
        return this.tokens.drop((r) => r.token.ownerId === message.id || r.token.createdBy === message.id);
      case 'org':
        return this.tokens.drop((r) => r.token.orgId === message.id);
      case 'verifier':
        return this.verifiers.drop(message.id);
      case 'signing_keys':
        return this.onSigningKeys();
    }
  }

  token(tokenId: string): void {
    this.apply({ kind: 'token', id: tokenId });
  }

  tokenCreated(digest: string): void {
    this.apply({ kind: 'created', digest });
  }

  owner(userId: string): void {
    this.apply({ kind: 'owner', id: userId });
  }

  org(orgId: string): void {
    this.apply({ kind: 'org', id: orgId });
  }

  verifier(verifierId: string): void {
    this.apply({ kind: 'verifier', id: verifierId });
  }

  signingKeys(): void {
    this.apply({ kind: 'signing_keys' });
  }

  async close(): Promise<void> {}
}
