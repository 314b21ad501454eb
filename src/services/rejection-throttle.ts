/** Remembers when each (token, code) was last audited, so a retry storm writes one event a minute. */
export class RejectionThrottle {
  private readonly lastNoted = new Map<string, number>();

  constructor(
    private readonly intervalMs = 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  /** True when this rejection should be audited now (and counts it as audited). */
  admit(key: string, nowMs: number): boolean {
    const last = this.lastNoted.get(key);
    if (last !== undefined && nowMs - last < this.intervalMs) return false;
    if (this.lastNoted.size >= this.maxKeys) this.lastNoted.clear();
    this.lastNoted.set(key, nowMs);
    return true;
  }
}
