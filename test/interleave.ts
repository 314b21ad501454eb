import { AsyncLocalStorage } from 'node:async_hooks';
import { Kysely, type DatabaseConnection, type Dialect, type Driver } from 'kysely';
import type { ServiceContext } from '../src/services/context.js';
import { dialectFor, storeLocation } from '../src/store/db.js';
import type { Database } from '../src/store/schema.js';

/**
 * Interleaving at every await point: the work run inside `track()` is paused before its k-th
 * database round trip (every query outside a transaction, and each transaction once) while the
 * test runs something else to completion, then resumed. No connection is held during the pause
 * (SQLite's single one, or one of PostgreSQL's pool), so the other work really runs in between.
 */
export class Interleaver {
  private readonly tracked = new AsyncLocalStorage<true>();
  private original: Kysely<Database> | null = null;
  private seen = 0;
  private pauseAt = -1;
  private at: 'before' | 'after' = 'before';
  private release: (() => void) | null = null;
  private reached: (() => void) | null = null;

  /** Replaces the context's database by one on the same store whose round trips can be paused. */
  static install(ctx: ServiceContext): Interleaver {
    const interleaver = new Interleaver();
    const dialect = dialectFor(storeLocation(ctx.config));
    const gated: Dialect = {
      createAdapter: () => dialect.createAdapter(),
      createIntrospector: (db) => dialect.createIntrospector(db),
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createDriver: (): Driver => {
        const inner = dialect.createDriver();
        return {
          init: () => inner.init(),
          acquireConnection: async (): Promise<DatabaseConnection> => {
            await interleaver.gate('before');
            return inner.acquireConnection();
          },
          beginTransaction: (c, s) => inner.beginTransaction(c, s),
          commitTransaction: (c) => inner.commitTransaction(c),
          rollbackTransaction: (c) => inner.rollbackTransaction(c),
          // Released first, so the pause holds no connection; the caller has not seen the result yet.
          releaseConnection: async (c) => {
            await inner.releaseConnection(c);
            await interleaver.gate('after');
          },
          destroy: () => inner.destroy(),
        };
      },
    };
    // The original stays open until `close()`: services made at start (the usage recorder) hold it.
    interleaver.original = ctx.db;
    ctx.db = new Kysely<Database>({ dialect: gated });
    return interleaver;
  }

  /** Closes the context's original database; the harness closes the gated one with the context. */
  async close(): Promise<void> {
    await this.original?.destroy();
  }

  private async gate(at: 'before' | 'after'): Promise<void> {
    if (!this.tracked.getStore() || at !== this.at) return;
    const index = this.seen++;
    if (index !== this.pauseAt) return;
    this.reached?.();
    await new Promise<void>((resolve) => (this.release = resolve));
  }

  /**
   * Runs `work` paused before its round trip number `k` (from 0) — or, with `at: 'after'`, after
   * that round trip ran and before its result reaches `work` — runs `between` meanwhile, then
   * lets `work` finish. Returns false when `work` finished before making k round trips.
   */
  async interleave<T>(
    k: number,
    work: () => Promise<T>,
    between: () => Promise<unknown>,
    options: { at?: 'before' | 'after' } = {},
  ): Promise<{ paused: boolean; result: T }> {
    this.seen = 0;
    this.pauseAt = k;
    this.at = options.at ?? 'before';
    const reached = new Promise<'paused'>((resolve) => (this.reached = () => resolve('paused')));
    const running = this.tracked.run(true, work);
    const first = await Promise.race([reached, running.then(() => 'done' as const)]);
    if (first === 'paused') {
      await between();
      this.release?.();
    }
    this.pauseAt = -1;
    this.release = null;
    this.reached = null;
    return { paused: first === 'paused', result: await running };
  }
}
