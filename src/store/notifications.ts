import { sql } from 'kysely';
import pg from 'pg';
import type { Executor } from './db.js';

/**
 * PostgreSQL LISTEN/NOTIFY for cache invalidation across the processes of a cluster: one
 * dedicated connection per process listens; publishing bumps the shared invalidation version and
 * notifies in one transaction, so a process that missed messages can tell from the version.
 */

/** The channel of this deployment: one per schema, so test runs side by side never hear each other. */
export async function channelName(db: Executor): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return `keyward_${(rows[0]?.schema ?? 'public').toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

/** Bumps the version and sends the message with it; returns the new version. */
export async function publish(db: Executor, channel: string, message: (version: number) => string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('invalidations')
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('id', '=', 1)
      .returning('version')
      .executeTakeFirstOrThrow();
    await sql`select pg_notify(${channel}, ${message(row.version)})`.execute(trx);
    return row.version;
  });
}

export async function invalidationVersion(db: Executor): Promise<number> {
  const row = await db.selectFrom('invalidations').select('version').where('id', '=', 1).executeTakeFirstOrThrow();
  return row.version;
}

export type ListenerEvents = {
  /** A notification on the channel. */
  message(payload: string): void;
  /** Listening (again); notifications from before may have been missed. */
  up(): void;
  /** The connection is gone; it is being re-established. */
  down(error: unknown): void;
};

/** The listening connection: reconnects by itself with a short backoff until stopped. */
export class Listener {
  private client: pg.Client | null = null;
  private stopped = false;
  private backoffMs = 50;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly events: ListenerEvents,
  ) {}

  start(): void {
    void this.connect();
  }

  /** Sends on the listening connection itself (heartbeats: they prove this very connection works). */
  async notify(payload: string): Promise<void> {
    await this.client?.query('select pg_notify($1, $2)', [this.channel, payload]);
  }

  /** The backend of the listening connection, for tests that cut it. */
  get backendPid(): number | null {
    return (this.client as (pg.Client & { processID?: number }) | null)?.processID ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    // Named per process, so an operator (or a test) can tell the listeners apart in pg_stat_activity.
    const client = new pg.Client({ connectionString: this.url, application_name: `keyward-listener-${process.pid}` });
    const lost = (error: unknown) => {
      if (this.client !== client) return;
      this.client = null;
      client.removeAllListeners();
      void client.end().catch(() => undefined);
      this.events.down(error);
      this.retry();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the listening connection ended')));
    client.on('notification', (n) => {
      if (n.channel === this.channel && n.payload !== undefined) this.events.message(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      client.removeAllListeners();
      await client.end().catch(() => undefined);
      this.events.down(error);
      this.retry();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoffMs = 50;
    this.events.up();
  }

  private retry(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.connect(), this.backoffMs);
    this.timer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, 1000);
  }
}
