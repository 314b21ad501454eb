import type { Db } from '../store/db.js';
import { recordUsage } from '../store/tokens.js';

export type Usage = { at: number; ip: string | null };

/**
 * Last-used times, kept in memory on the verify path and written in batches, so verifying never
 * waits on a write. Lists merge the pending entries, so they are fresher than the flush interval.
 */
export class UsageRecorder {
  private pending = new Map<string, Usage>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Db) {}

  record(tokenId: string, at: number, ip: string | null): void {
    const previous = this.pending.get(tokenId);
    if (!previous) this.pending.set(tokenId, { at, ip });
    else if (previous.at < at) {
      // In place: a hot token's every verify would otherwise allocate and rehash.
      previous.at = at;
      previous.ip = ip;
    }
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  peek(tokenId: string): Usage | undefined {
    return this.pending.get(tokenId);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const taken = this.pending;
    this.pending = new Map();
    try {
      await this.db.transaction().execute((trx) => recordUsage(trx, [...taken].map(([id, u]) => ({ id, ...u }))));
    } catch (error) {
      // Put the batch back (newer uses recorded meanwhile win), so a failed write loses nothing.
      for (const [id, usage] of taken) this.record(id, usage.at, usage.ip);
      throw error;
    }
  }

  start(intervalMs: number, onError: (error: unknown) => void): void {
    this.timer = setInterval(() => this.flush().catch(onError), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
