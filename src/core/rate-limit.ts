import { addressKey } from './client-address.js';

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

  /** Counts one attempt for `key`; returns the start of the window it was counted in, for `release`. */
  hit(key: string, nowMs: number): number {
    const window = this.windows.get(key);
    if (!window || nowMs - window.start >= this.windowMs) {
      this.windows.delete(key);
      this.windows.set(key, { start: nowMs, count: 1 });
      this.prune(nowMs);
      return nowMs;
    }
    window.count += 1;
    return window.start;
  }

  /**
   * Takes back one attempt counted by `hit` in the window that started at `windowStart`: a
   * reservation that turned out not to be a failure. Nothing happens once that window is over.
   */
  release(key: string, windowStart: number): void {
    const window = this.windows.get(key);
    if (window && window.start === windowStart && window.count > 0) window.count -= 1;
  }

  /**
   * Raises the count of `key`'s current window to `count` (what other processes of a cluster
   * counted too), so that it is refused here as soon as the cluster's total reaches the limit.
   */
  raise(key: string, count: number, nowMs: number): void {
    const window = this.windows.get(key);
    if (window && nowMs - window.start < this.windowMs && window.count < count) window.count = count;
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

/**
 * A limit per client address: whatever address it is given, it counts under `addressKey` (an
 * IPv6 client by its /64), so no per-address limit can forget to.
 */
export class AddressRateLimiter extends RateLimiter {
  override blockedFor(ip: string, nowMs: number): number {
    return super.blockedFor(addressKey(ip), nowMs);
  }

  override hit(ip: string, nowMs: number): number {
    return super.hit(addressKey(ip), nowMs);
  }

  override release(ip: string, windowStart: number): void {
    super.release(addressKey(ip), windowStart);
  }

  override raise(ip: string, count: number, nowMs: number): void {
    super.raise(addressKey(ip), count, nowMs);
  }

  override reset(ip: string): void {
    super.reset(addressKey(ip));
  }
}
