import type { Permission } from '../core/permissions.js';
import type { TokenPolicy } from '../core/policy.js';
import type { TokenRow } from '../store/schema.js';

/** What the verify path needs about one token, its owner and its org, loaded together. */
export type TokenRecord = {
  row: TokenRow;
  scopes: string[];
  ipAllowlist: string[];
  /** The owner is active and still a member of the token's org. */
  ownerActive: boolean;
  ownerType: 'user' | 'service_account';
  ownerPermissions: ReadonlySet<Permission>;
  /** For an impersonation token, its creator's current permissions in the org; null for others. */
  creatorPermissions: ReadonlySet<Permission> | null;
  /** False once an impersonation token's creator may no longer impersonate in the org. */
  creatorMayImpersonate: boolean;
  orgPlan: string;
  orgFeatures: string[];
  policy: TokenPolicy;
  loadedAt: number;
};

/**
 * A bounded LRU of token records keyed by digest. Every change to a token, its owner, a role or
 * an org invalidates what it touches; the TTL bounds staleness for anything missed.
 */
export class TokenCache {
  private readonly entries = new Map<string, TokenRecord>();
  /** The key last in `entries` while it is there: a hot token's hits skip the move to the end. */
  private newest: string | undefined;

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 30_000,
  ) {}

  get(digest: string, nowMs: number): TokenRecord | undefined {
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

  set(digest: string, record: TokenRecord): void {
    this.entries.delete(digest);
    this.entries.set(digest, record);
    this.newest = digest;
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  invalidateToken(tokenId: string): void {
    this.deleteWhere((r) => r.row.id === tokenId);
  }

  /** A user's tokens, and the impersonation tokens they created, whose power hangs on theirs too. */
  invalidateOwner(userId: string): void {
    this.deleteWhere((r) => r.row.owner_id === userId || r.row.created_by === userId);
  }

  invalidateOrg(orgId: string): void {
    this.deleteWhere((r) => r.row.org_id === orgId);
  }

  get size(): number {
    return this.entries.size;
  }

  private deleteWhere(match: (record: TokenRecord) => boolean): void {
    for (const [digest, record] of this.entries) if (match(record)) this.entries.delete(digest);
  }
}
