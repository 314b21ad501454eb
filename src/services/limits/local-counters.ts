import { SlidingWindow } from '../../core/sliding-window.js';
import type { LimitStatus } from '../../core/limit-status.js';
import type { CreditSeed, LimitSubject, RateLimit } from '../../core/usage-limits.js';
import type { Admission, CreditCount, UsageCounters } from './counters.js';

type Credits = CreditCount & { dirty: boolean };

/** One limit key's counters: its windows (one per limit) and the credits of its newest setting and period. */
type Entry = { limits: readonly RateLimit[]; windows: SlidingWindow[]; credits: Credits | null };

const PRUNE_EVERY = 10_000;

/**
 * Counters in this process (embedded mode): exact, synchronous, nothing awaited, one map lookup
 * per verify. Windows that emptied are forgotten now and then; the store seeds the credits of a
 * setting or period this process has not counted yet.
 */
export class LocalCounters implements UsageCounters {
  readonly state = 'local' as const;
  private readonly entries = new Map<string, Entry>();
  /** Counts of settings and periods that a newer one replaced before they were written. */
  private retired: CreditCount[] = [];
  private admits = 0;

  admit(subject: LimitSubject, cost: number, nowMs: number): Admission {
    if (++this.admits % PRUNE_EVERY === 0) this.prune(nowMs);
    const entry = this.entryOf(subject);
    const credits = subject.credits === null ? null : this.creditsOf(entry, subject.key, subject.credits);
    let waitMs = 0;
    for (const window of entry.windows) waitMs = Math.max(waitMs, window.waitFor(cost, nowMs));
    const remaining = credits?.remaining ?? null;
    if (waitMs > 0) return { code: 'RATE_LIMITED', retryAfterSeconds: Math.ceil(waitMs / 1000), rateLimits: statuses(entry, nowMs), remaining };
    if (credits !== null && (credits.remaining <= 0 || credits.remaining < cost)) {
      const refillAt = subject.credits?.refillAt ?? null;
      return { code: 'USAGE_EXCEEDED', retryAfterSeconds: refillAt === null ? null : Math.ceil((refillAt - nowMs) / 1000), rateLimits: statuses(entry, nowMs), remaining };
    }
    for (const window of entry.windows) window.add(cost, nowMs);
    if (credits !== null && cost > 0) {
      credits.remaining -= cost;
      credits.dirty = true;
    }
    return { code: 'VALID', retryAfterSeconds: 0, rateLimits: statuses(entry, nowMs), remaining: credits?.remaining ?? null };
  }

  drainCredits(): CreditCount[] {
    const out = this.retired;
    this.retired = [];
    for (const { credits } of this.entries.values()) {
      if (!credits?.dirty) continue;
      credits.dirty = false;
      out.push({ key: credits.key, version: credits.version, period: credits.period, remaining: credits.remaining });
    }
    return out;
  }

  peekCredits(key: string, version: number, period: number): number | undefined {
    const credits = this.entries.get(key)?.credits;
    return credits && credits.version === version && credits.period === period ? credits.remaining : undefined;
  }

  /** One process shares with no one: its own limiters count alone. */
  async addShared(): Promise<null> {
    return null;
  }

  async clearShared(): Promise<void> {}

  async close(): Promise<void> {}

  /** A key's counters; its limits are fixed for its life (rotation copies them), but a changed list starts afresh. */
  private entryOf(subject: LimitSubject): Entry {
    let entry = this.entries.get(subject.key);
    if (entry && entry.limits !== subject.rateLimits) {
      if (!sameLimits(entry.limits, subject.rateLimits)) entry.windows = windowsFor(subject.rateLimits);
      entry.limits = subject.rateLimits;
    }
    if (!entry) {
      entry = { limits: subject.rateLimits, windows: windowsFor(subject.rateLimits), credits: null };
      this.entries.set(subject.key, entry);
    }
    return entry;
  }

  /**
   * The credits of the newest setting and period seen: a newer seed (a PATCH, a refill) starts
   * from its own count; an older one (a record loaded before the change) counts against the newest.
   */
  private creditsOf(entry: Entry, key: string, seed: CreditSeed): Credits {
    const current = entry.credits;
    if (current && (current.version > seed.version || (current.version === seed.version && current.period >= seed.period))) return current;
    if (current?.dirty) this.retired.push({ key, version: current.version, period: current.period, remaining: current.remaining });
    entry.credits = { key, version: seed.version, period: seed.period, remaining: seed.seed, dirty: false };
    return entry.credits;
  }

  /** Forgets keys with nothing counted in their windows and no credits left to write. */
  private prune(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.credits === null && entry.windows.every((w) => w.idle(nowMs))) this.entries.delete(key);
    }
  }
}

function windowsFor(limits: readonly RateLimit[]): SlidingWindow[] {
  return limits.map((l) => new SlidingWindow(l.limit, l.window_seconds * 1000));
}

function sameLimits(a: readonly RateLimit[], b: readonly RateLimit[]): boolean {
  return a.length === b.length && a.every((l, i) => l.name === b[i]?.name && l.limit === b[i]?.limit && l.window_seconds === b[i]?.window_seconds);
}

function statuses(entry: Entry, nowMs: number): LimitStatus[] {
  return entry.limits.map((limit, i) => {
    const state = entry.windows[i]?.state(nowMs) ?? { remaining: limit.limit, resetMs: 0 };
    return { name: limit.name, limit: limit.limit, window_seconds: limit.window_seconds, remaining: state.remaining, reset_seconds: Math.ceil(state.resetMs / 1000) };
  });
}
