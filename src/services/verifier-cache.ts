import type { Verifier } from '../core/model.js';

type CachedVerifier = { verifier: Verifier; loadedAt: number; touchedAt: number };

/**
 * Verifier credentials by digest, so a resource server's verify awaits nothing on a hit. The TTL
 * bounds how long another process may still accept a verifier revoked elsewhere.
 */
export class VerifierCache {
  private readonly entries = new Map<string, CachedVerifier>();
  /** While notifications may be missed, every verifier is read from the store. */
  private suspended = false;

  constructor(
    readonly ttlMs = 10_000,
    private readonly maxEntries = 1_000,
  ) {}

  get(digest: string, nowMs: number): CachedVerifier | undefined {
    if (this.suspended) return undefined;
    const entry = this.entries.get(digest);
    if (entry && nowMs - entry.loadedAt > this.ttlMs) {
      this.entries.delete(digest);
      return undefined;
    }
    return entry;
  }

  set(digest: string, verifier: Verifier, nowMs: number): CachedVerifier {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const entry = { verifier, loadedAt: nowMs, touchedAt: verifier.lastUsedAt ?? -Infinity };
    if (!this.suspended) this.entries.set(digest, entry);
    return entry;
  }

  forget(digest: string): void {
    this.entries.delete(digest);
  }

  suspend(): void {
    this.suspended = true;
    this.entries.clear();
  }

  resume(): void {
    this.suspended = false;
  }

  /** Called by the invalidation port only. */
  drop(verifierId: string): void {
    for (const [digest, entry] of this.entries) if (entry.verifier.id === verifierId) this.entries.delete(digest);
  }
}
