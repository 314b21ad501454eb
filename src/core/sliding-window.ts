/**
 * A rate limit's sliding window, kept as counts per slot of window/SLOTS. A use at `now` is
 * admitted only if the slots that overlap (now − window, now] — counted whole, the oldest one
 * included though it is partly outside — leave room for its cost. So no window of that length,
 * wherever it starts, ever holds more than the limit (exact: never over, at worst one slot's
 * worth early to refuse), in bounded memory. The Redis counters run the same rule in Lua.
 */
export const SLOTS = 60;

export function slotLength(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / SLOTS));
}

/** The oldest slot that overlaps (now − window, now]. */
export function oldestSlot(nowMs: number, windowMs: number, slotMs: number): number {
  return Math.floor((nowMs - windowMs) / slotMs);
}

/**
 * How long until `cost` more fits, given the counted slots (ascending) and their counts: the
 * oldest slots leave the window one by one. A cost above the limit never fits: a whole window.
 */
export function waitForRoom(slots: readonly number[], counts: readonly number[], used: number, cost: number, limit: number, windowMs: number, slotMs: number, nowMs: number): number {
  if (cost > limit) return windowMs;
  let freed = 0;
  for (let i = 0; i < slots.length; i++) {
    freed += counts[i] ?? 0;
    if (used - freed + cost <= limit) return Math.max(1, ((slots[i] ?? 0) + 1) * slotMs + windowMs - nowMs);
  }
  return windowMs;
}

/** A limit's state as the RateLimit header tells it. */
export type WindowState = { remaining: number; resetMs: number };

export class SlidingWindow {
  private readonly slotMs: number;
  /** Slot numbers, ascending, and the uses counted in each. */
  private readonly slots: number[] = [];
  private readonly counts: number[] = [];
  private used = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    this.slotMs = slotLength(windowMs);
  }

  /** Drops the slots no longer overlapping the window that ends at `now`; answers the uses left. */
  private advance(nowMs: number): number {
    const oldest = oldestSlot(nowMs, this.windowMs, this.slotMs);
    while (this.slots.length > 0 && (this.slots[0] ?? 0) < oldest) {
      this.slots.shift();
      this.used -= this.counts.shift() ?? 0;
    }
    return this.used;
  }

  /** 0 when `cost` fits now, else the milliseconds until it will. */
  waitFor(cost: number, nowMs: number): number {
    const used = this.advance(nowMs);
    if (used + cost <= this.limit) return 0;
    return waitForRoom(this.slots, this.counts, used, cost, this.limit, this.windowMs, this.slotMs, nowMs);
  }

  /** Counts `cost` uses at `now` (a clock that stepped back counts into the newest slot). */
  add(cost: number, nowMs: number): void {
    this.advance(nowMs);
    const slot = Math.floor(nowMs / this.slotMs);
    const last = this.slots.length - 1;
    if (last >= 0 && (this.slots[last] ?? 0) >= slot) this.counts[last] = (this.counts[last] ?? 0) + cost;
    else {
      this.slots.push(slot);
      this.counts.push(cost);
    }
    this.used += cost;
  }

  state(nowMs: number): WindowState {
    const used = this.advance(nowMs);
    const first = this.slots[0];
    const resetMs = first === undefined ? 0 : Math.max(0, (first + 1) * this.slotMs + this.windowMs - nowMs);
    return { remaining: Math.max(0, this.limit - used), resetMs };
  }

  /** Whether nothing is counted any more: the window can be forgotten. */
  idle(nowMs: number): boolean {
    return this.advance(nowMs) === 0;
  }
}
