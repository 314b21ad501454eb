/**
 * A fixed-window counter per key, in memory, with the time passed in. Bounded: when it holds
 * too many keys it forgets the expired ones, then the oldest.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxKeys = 50_000,
  ) {}

  /** Milliseconds until `key` may try again, or 0 when it is under the limit. */
  blockedFor(key: string, nowMs: number): number {
    const window = this.windows.get(key);
    if (!window || nowMs - window.start >= this.windowMs || window.count < this.limit) return 0;
    return window.start + this.windowMs - nowMs;
  }

  /** Counts one attempt for `key`. */
  hit(key: string, nowMs: number): void {
    const window = this.windows.get(key);
    if (!window || nowMs - window.start >= this.windowMs) {
      this.windows.delete(key);
      this.windows.set(key, { start: nowMs, count: 1 });
      this.prune(nowMs);
    } else {
      window.count += 1;
    }
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private prune(nowMs: number): void {
    if (this.windows.size <= this.maxKeys) return;
    for (const [key, window] of this.windows) {
      if (nowMs - window.start >= this.windowMs) this.windows.delete(key);
    }
    while (this.windows.size > this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) break;
      this.windows.delete(oldest);
    }
  }
}
