import type { Db } from '../../store/db.js';
import { recordCredits } from '../../store/tokens.js';
import type { UsageCounters } from './counters.js';

/**
 * Writes spent credits to the store in batches (never a write per verify): what a process that
 * restarts, or a Redis that lost its keys, starts from. A batch that failed is carried into the next.
 */
export class CreditWriter {
  private timer: NodeJS.Timeout | null = null;
  private pending: ReturnType<UsageCounters['drainCredits']> = [];

  constructor(
    private readonly db: Db,
    private readonly counters: () => UsageCounters,
  ) {}

  async flush(): Promise<void> {
    const batch = [...this.pending, ...this.counters().drainCredits()];
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.db.transaction().execute((trx) => recordCredits(trx, batch));
    } catch (error) {
      this.pending = batch;
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
