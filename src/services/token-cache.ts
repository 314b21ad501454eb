import type { AddressMatcher } from '../core/ip-allowlist.js';
import type { LimitSubject } from '../core/usage-limits.js';
import type { Token, User, UserType } from '../core/model.js';
import type { VerifiedToken } from '../contract/index.js';

/**
 * What the verify path needs about one token, worked out once when the record is loaded from
 * the token, its owner and its org: a change to any of them drops the record rather than
 * editing it, so every derived fact below stays true for the record's life.
 */
export type TokenRecord = {
  token: Token;
  /** The owner as loaded with the token; user rows change only through status changes, which drop the record. */
  owner: User | undefined;
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
  /** Whether it has rate limits or credits: only then does a verify ask the counters. */
  limited: boolean;
  /** What the counters are asked about, worked out once per credit period (set by the verify path). */
  subject?: { value: LimitSubject; until: number };
  /** The token as verify describes it. Frozen: every verify of the record shares it. */
  verified: VerifiedToken;
  loadedAt: number;
};

/** A well-formed secret the store does not know, remembered with its stored digest. */
type Unknown = { digest: string; loadedAt: number };

/** The cache's answer for a secret known to be unknown. */
export const UNKNOWN_TOKEN = Symbol('unknown token');

export type CacheSizes = { records: number; unknown: number };

/**
 * Token records, and secrets known to be unknown, by the secret's memory key (`memoryKey`). Both
 * are bounded: records in LRU order, unknown secrets oldest first (a flood of random tokens
 * replaces itself). Invalidation drops what a change touches, and a token's creation drops the
 * unknown entry of its digest; the TTL bounds staleness for anything missed. A load that
 * overlapped an invalidation does not enter the cache (it may have read the state from before
 * the change): loads take a ticket first.
 */
export class TokenCache {
  private readonly records = new Map<string, TokenRecord>();
  /** The key last in `records` while it is there: a hot token's hits skip the move to the end. */
  private newest: string | undefined;
  private readonly unknown = new Map<string, Unknown>();
  /** Stored digest → memory key of the unknown entries, so a creation finds its entry at once. */
  private readonly unknownByDigest = new Map<string, string>();
  /** Counts invalidations; a load whose ticket is older than the current generation is not cached. */
  private generation = 0;
  /** While notifications may be missed, nothing is answered from or put into the cache. */
  private suspended = false;

  constructor(
    private readonly sizes: CacheSizes = { records: 100_000, unknown: 100_000 },
    private readonly ttlMs = 30_000,
  ) {}

  get(key: string, nowMs: number): TokenRecord | typeof UNKNOWN_TOKEN | undefined {
    if (this.suspended) return undefined;
    const record = this.records.get(key);
    if (record) {
      if (nowMs - record.loadedAt > this.ttlMs) {
        this.records.delete(key);
        return undefined;
      }
      if (key !== this.newest) {
        // most recently used goes last
        this.records.delete(key);
        this.records.set(key, record);
        this.newest = key;
      }
      return record;
    }
    const unknown = this.unknown.get(key);
    if (!unknown) return undefined;
    if (nowMs - unknown.loadedAt > this.ttlMs) {
      this.forgetUnknown(key, unknown.digest);
      return undefined;
    }
    return UNKNOWN_TOKEN;
  }

  /** Taken before a load reads the store; hand it back to `set` or `setUnknown`. */
  ticket(): number {
    return this.generation;
  }

  /** Caches a loaded record unless an invalidation ran since its load began. */
  set(key: string, record: TokenRecord, ticket: number): void {
    if (ticket !== this.generation || this.suspended) return;
    this.records.delete(key);
    this.records.set(key, record);
    this.newest = key;
    if (this.records.size > this.sizes.records) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
  }

  /** Remembers that the store had no token of this digest, unless a change ran since the read began. */
  setUnknown(key: string, digest: string, ticket: number, nowMs: number): void {
    if (ticket !== this.generation || this.suspended || this.sizes.unknown === 0) return;
    this.unknown.set(key, { digest, loadedAt: nowMs });
    this.unknownByDigest.set(digest, key);
    if (this.unknown.size > this.sizes.unknown) {
      const [oldest, entry] = this.unknown.entries().next().value!;
      this.forgetUnknown(oldest, entry.digest);
    }
  }

  /** Drops every record that matches; called by the invalidation port only. */
  drop(match: (record: TokenRecord) => boolean): void {
    this.generation += 1;
    for (const [key, record] of this.records) if (match(record)) this.records.delete(key);
  }

  /** A token of this stored digest now exists: it is unknown no longer. Called by the invalidation port only. */
  created(digest: string): void {
    this.generation += 1;
    const key = this.unknownByDigest.get(digest);
    if (key !== undefined) this.forgetUnknown(key, digest);
  }

  /** Stops answering from the cache (and empties it, when what it holds can no longer be trusted). */
  suspend(): void {
    this.suspended = true;
    this.generation += 1;
  }

  resume(options: { clear: boolean }): void {
    if (options.clear) {
      this.drop(() => true);
      this.unknown.clear();
      this.unknownByDigest.clear();
    }
    this.suspended = false;
  }

  get size(): CacheSizes {
    return { records: this.records.size, unknown: this.unknown.size };
  }

  private forgetUnknown(key: string, digest: string): void {
    this.unknown.delete(key);
    this.unknownByDigest.delete(digest);
  }
}
