import type { AddressMatcher } from '../core/ip-allowlist.js';
import type { Token, UserType } from '../core/model.js';
import type { VerifiedToken } from '../contract/index.js';

/**
 * What the verify path needs about one token, worked out once when the record is loaded from
 * the token, its owner and its org: a change to any of them drops the record rather than
 * editing it, so every derived fact below stays true for the record's life.
 */
export type TokenRecord = {
  token: Token;
  ownerType: UserType;
  /**
   * Why a token whose own state is active may not be used (its owner left or was deactivated,
   * its creator may no longer impersonate); null when nothing stands in its way.
   */
  blocked: string | null;
  acceptsXApiKey: boolean;
  allowsAddress: AddressMatcher;
  /** The token's scopes ∩ what its owner (and creator) and org still back. Frozen. */
  effectiveScopes: readonly string[];
  /** The token as verify describes it. Frozen: every verify of the record shares it. */
  verified: VerifiedToken;
  loadedAt: number;
};

/**
 * A bounded LRU of token records keyed by digest. Invalidation drops what a change touches; the
 * TTL bounds staleness for anything missed. A load that overlapped an invalidation does not enter
 * the cache (it may have read the state from before the change): loads take a ticket first.
 */
export class TokenCache {
  private readonly entries = new Map<string, TokenRecord>();
  /** The key last in `entries` while it is there: a hot token's hits skip the move to the end. */
  private newest: string | undefined;
  /** Counts invalidations; a load whose ticket is older than the current generation is not cached. */
  private generation = 0;
  /** While notifications may be missed, nothing is answered from or put into the cache. */
  private suspended = false;

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 30_000,
  ) {}

  get(digest: string, nowMs: number): TokenRecord | undefined {
    if (this.suspended) return undefined;
    const entry = this.entries.get(digest);
    if (!entry) return undefined;
    if (nowMs - entry.loadedAt > this.ttlMs) {
      this.entries.delete(digest);
      return undefined;
    }
    if (digest !== this.newest) {
      // most recently used goes last
      this.entries.delete(digest);
      this.entries.set(digest, entry);
      this.newest = digest;
    }
    return entry;
  }

  /** Taken before a load reads the store; hand it back to `set`. */
  ticket(): number {
    return this.generation;
  }

  /** Caches a loaded record unless an invalidation ran since its load began. */
  set(digest: string, record: TokenRecord, ticket: number): void {
    if (ticket !== this.generation || this.suspended) return;
    this.entries.delete(digest);
    this.entries.set(digest, record);
    this.newest = digest;
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Drops every record that matches; called by the invalidation port only. */
  drop(match: (record: TokenRecord) => boolean): void {
    this.generation += 1;
    for (const [digest, record] of this.entries) if (match(record)) this.entries.delete(digest);
  }

  /** Stops answering from the cache (and empties it, when what it holds can no longer be trusted). */
  suspend(): void {
    this.suspended = true;
    this.generation += 1;
  }

  resume(options: { clear: boolean }): void {
    if (options.clear) this.drop(() => true);
    this.suspended = false;
  }

  get size(): number {
    return this.entries.size;
  }
}
