import type { Verifier } from '../core/model.js';

type CachedVerifier = { verifier: Verifier; loadedAt: number; touchedAt: number };

/**
 * Verifier credentials by the secret's memory key (`memoryKey`), so a resource server's verify
 * awaits nothing on a hit. As with tokens, a load that overlapped a revocation is not kept.
 */
export class VerifierCache {
  private readonly entries = new Map<string, CachedVerifier>();
  /** While notifications may be missed, every verifier is read from the store. */
  private suspended = false;
  private generation = 0;

  constructor(
    readonly ttlMs = 10_000,
    private readonly maxEntries = 1_000,
  ) {}

  get(key: string, nowMs: number): CachedVerifier | undefined {
    if (this.suspended) return undefined;
    const entry = this.entries.get(key);
    if (entry && nowMs - entry.loadedAt > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Taken before a load reads the store; hand it back to `set`. */
  ticket(): number {
    return this.generation;
  }

  set(key: string, verifier: Verifier, nowMs: number, ticket: number): CachedVerifier {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const entry = { verifier, loadedAt: nowMs, touchedAt: verifier.lastUsedAt ?? -Infinity };
    if (!this.suspended && ticket === this.generation) this.entries.set(key, entry);
    return entry;
  }

  suspend(): void {
    this.suspended = true;
    this.generation += 1;
    this.entries.clear();
  }

  resume(): void {
    this.suspended = false;
  }

  /** Called by the invalidation port only. */
  drop(verifierId: string): void {
    this.generation += 1;
    for (const [key, entry] of this.entries) if (entry.verifier.id === verifierId) this.entries.delete(key);
  }
}
