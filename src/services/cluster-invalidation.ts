import { randomBytes } from 'node:crypto';
import type { Db } from '../store/db.js';
import { invalidationVersion, Listener, publish } from '../store/notifications.js';
import type { Logger } from './context.js';
import type { InvalidationMessage } from './invalidation-message.js';
import type { Invalidation, LocalInvalidation } from './invalidation.js';
import type { TokenCache } from './token-cache.js';
import type { VerifierCache } from './verifier-cache.js';

/**
 * How often the listener proves its own connection works, and how stale that proof may get. Real
 * elapsed time (not the injected clock, which tests move by days): this is about connections.
 */
const HEARTBEAT_MS = 200;
export const MAX_SILENCE_MS = 1000;

type Wire = InvalidationMessage & { v: number; o: string };

export type InvalidationState = 'live' | 'degraded';

/**
 * Invalidation for a cluster on PostgreSQL (DESIGN §5). A change drops this process's entries
 * before its response and is published through LISTEN/NOTIFY to every other process. While the
 * listening connection is down, or its own heartbeat is more than a second old, this process
 * answers from the database, not its caches; it trusts them again once it listens again and the
 * shared invalidation version says what it missed (nothing, or everything: then they are emptied).
 */
export class ClusterInvalidation implements Invalidation {
  private readonly origin = randomBytes(6).toString('base64url');
  private readonly listener: Listener;
  private lastBeat = -Infinity;
  private seenVersion = 0;
  state: InvalidationState = 'degraded';
  private heartbeat: NodeJS.Timeout | null = null;
  private catchingUp = false;
  /** Publications still on their way; closing waits for them (a CLI command exits right after). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: {
      db: Db;
      url: string;
      channel: string;
      local: LocalInvalidation;
      tokens: TokenCache;
      verifiers: VerifierCache;
      log: () => Logger;
    },
  ) {
    this.listener = new Listener(deps.url, deps.channel, {
      message: (payload) => this.received(payload),
      // A heartbeat at once: the caches are trusted again only once one comes back through this connection.
      up: () => this.beat(),
      down: (error) => {
        this.degrade();
        deps.log().warn({ err: error }, 'invalidation listener lost; answering from the database until it is back');
      },
    });
    this.suspendCaches();
  }

  /** Starts listening; resolves once the channel works (or after a bound, degraded). */
  async start(): Promise<void> {
    this.seenVersion = await invalidationVersion(this.deps.db);
    this.listener.start();
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
    const deadline = Date.now() + 5000;
    while (this.state !== 'live' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await Promise.allSettled([...this.inFlight]);
    await this.listener.stop();
  }

  /** The listening connection's backend, for tests that cut it. */
  get listenerPid(): number | null {
    return this.listener.backendPid;
  }

  token(tokenId: string): void {
    this.send({ kind: 'token', id: tokenId });
  }

  tokenCreated(digest: string): void {
    this.send({ kind: 'created', digest });
  }

  owner(userId: string): void {
    this.send({ kind: 'owner', id: userId });
  }

  org(orgId: string): void {
    this.send({ kind: 'org', id: orgId });
  }

  verifier(verifierId: string): void {
    this.send({ kind: 'verifier', id: verifierId });
  }

  signingKeys(): void {
    this.send({ kind: 'signing_keys' });
  }

  /** Local first, before the response; then the others, without holding the response up. */
  private send(message: InvalidationMessage): void {
    this.deps.local.apply(message);
    const sent = publish(this.deps.db, this.deps.channel, (v) => JSON.stringify({ ...message, v, o: this.origin } satisfies Wire))
      .then((v) => {
        this.seenVersion = Math.max(this.seenVersion, v);
      })
      .catch((error: unknown) => this.deps.log().error({ err: error }, 'could not publish an invalidation; other processes rely on their cache TTL'))
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  private received(payload: string): void {
    let message: Partial<Wire> & { hb?: string };
    try {
      message = JSON.parse(payload) as Partial<Wire> & { hb?: string };
    } catch {
      return;
    }
    if (message.hb !== undefined) {
      if (message.hb === this.origin) this.beatReturned();
      return;
    }
    if (typeof message.v === 'number') this.seenVersion = Math.max(this.seenVersion, message.v);
    if (message.o !== this.origin && message.kind) this.deps.local.apply(message as InvalidationMessage, 'remote');
  }

  private beat(): void {
    if (performance.now() - this.lastBeat > MAX_SILENCE_MS) this.degrade();
    this.listener.notify(JSON.stringify({ hb: this.origin })).catch(() => undefined);
  }

  private beatReturned(): void {
    this.lastBeat = performance.now();
    if (this.state === 'degraded' && !this.catchingUp) void this.catchUp();
  }

  /** Listening again: what was missed shows in the version; the caches are trusted again after. */
  private async catchUp(): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      const version = await invalidationVersion(this.deps.db);
      if (performance.now() - this.lastBeat > MAX_SILENCE_MS) return; // wait for a heartbeat through this connection
      const missed = version > this.seenVersion;
      this.seenVersion = Math.max(this.seenVersion, version);
      this.deps.tokens.resume({ clear: missed });
      this.deps.verifiers.resume();
      if (missed) this.deps.local.signingKeys();
      this.state = 'live';
    } catch (error) {
      this.deps.log().warn({ err: error }, 'could not read the invalidation version');
    } finally {
      this.catchingUp = false;
    }
  }

  private degrade(): void {
    if (this.state === 'degraded') return;
    this.state = 'degraded';
    this.suspendCaches();
  }

  private suspendCaches(): void {
    this.deps.tokens.suspend();
    this.deps.verifiers.suspend();
  }
}
