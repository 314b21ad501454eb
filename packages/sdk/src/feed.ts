import { EventSource } from 'eventsource';
import type { FeedHeartbeat, FeedOrg, FeedOwner, FeedReady, FeedToken } from './wire.js';

/** What the feed tells the verifier's cache. */
export type FeedListener = {
  /** The feed is up and every change from now on will arrive: caching may start. */
  live(ready: FeedReady): void;
  /** Changes may be missed from now on: drop everything and cache nothing. */
  down(): void;
  token(event: FeedToken): void;
  owner(event: FeedOwner): void;
  org(event: FeedOrg): void;
};

export type FeedOptions = {
  url: string;
  verifierSecret: string;
  /** Silence longer than this many heartbeats means the feed is down. */
  missedBeats?: number;
  fetch?: typeof fetch;
};

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * A connection to Keyward's revocation feed that keeps itself up: it reconnects with backoff,
 * and it reports the feed down at once when the stream errs, stays silent past a few heartbeats,
 * or says the server itself may be missing changes.
 */
export class RevocationFeedClient {
  private source: EventSource | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private retryMs = FIRST_RETRY_MS;
  private heartbeatMs = 250;
  private lastHeard = 0;
  private isLive = false;
  private closed = false;

  constructor(
    private readonly options: FeedOptions,
    private readonly listener: FeedListener,
  ) {
    this.connect();
  }

  get live(): boolean {
    return this.isLive;
  }

  close(): void {
    this.closed = true;
    this.source?.close();
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.goDown();
  }

  private connect(): void {
    const { url, verifierSecret } = this.options;
    const baseFetch = this.options.fetch ?? fetch;
    const source = new EventSource(new URL('/api/v1/revocations/stream', url), {
      fetch: (input, init) => baseFetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${verifierSecret}` } }),
    });
    this.source = source;
    this.lastHeard = performance.now();
    this.startWatchdog();
    const on = <T>(event: string, handle: (data: T) => void) =>
      source.addEventListener(event, (message) => {
        this.lastHeard = performance.now();
        handle(JSON.parse(message.data) as T);
      });
    on<FeedReady>('ready', (ready) => {
      this.heartbeatMs = ready.heartbeat_ms;
      // A server that may itself be missing changes cannot vouch for them: wait, then ask again.
      if (ready.state === 'degraded') return this.reconnect();
      this.retryMs = FIRST_RETRY_MS;
      this.isLive = true;
      this.listener.live(ready);
    });
    on<FeedHeartbeat>('heartbeat', (beat) => {
      if (beat.state === 'degraded') this.reconnect();
    });
    on<FeedToken>('token', (event) => this.listener.token(event));
    on<FeedOwner>('owner', (event) => this.listener.owner(event));
    on<FeedOrg>('org', (event) => this.listener.org(event));
    source.onerror = () => this.reconnect();
  }

  /** Down now, and a fresh connection (with a fresh `ready` snapshot) after a backoff. */
  private reconnect(): void {
    this.source?.close();
    this.source = null;
    this.goDown();
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.closed) this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  private goDown(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    if (this.isLive) this.listener.down();
    this.isLive = false;
  }

  private startWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    const limit = this.heartbeatMs * (this.options.missedBeats ?? 3);
    this.watchdog = setInterval(() => {
      if (performance.now() - this.lastHeard > limit) this.reconnect();
    }, this.heartbeatMs);
    this.watchdog.unref();
  }
}
