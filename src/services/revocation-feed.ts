import type { FeedMessage, FeedState } from '../contract/revocations.js';
import type { Executor } from '../store/db.js';
import { inactiveJwtIds, tokenFeedFacts } from '../store/tokens.js';
import type { InvalidationMessage } from './invalidation-message.js';

/** Enough for any real deployment's revoked-but-unexpired JWTs; beyond it a client verifies online. */
const MAX_ONLINE_JWTS = 100_000;

export type FeedSubscriber = {
  verifierId: string;
  send(message: FeedMessage): void;
  /** Ends the stream: its verifier was revoked, or the server is closing. */
  end(): void;
};

/**
 * The revocation feed's hub: every invalidation this process applies (its own and, in a cluster,
 * the other processes') goes out to the resource servers listening, after the local caches dropped
 * it. Resource servers drop their cached answers from it; it never carries a secret.
 */
export class RevocationFeed {
  private readonly subscribers = new Set<FeedSubscriber>();

  constructor(
    private readonly db: Executor,
    private readonly onError: (error: unknown) => void,
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  /** The first message of a connection: which JWTs must not be trusted from their signature alone. */
  async ready(nowMs: number, heartbeatMs: number, state: FeedState): Promise<FeedMessage> {
    return { event: 'ready', data: { heartbeat_ms: heartbeatMs, state, online_jwt_ids: await inactiveJwtIds(this.db, nowMs, MAX_ONLINE_JWTS) } };
  }

  subscribe(subscriber: FeedSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** Called for every invalidation applied here, local or remote. */
  observe(message: InvalidationMessage): void {
    if (this.subscribers.size === 0) return;
    switch (message.kind) {
      case 'token':
        tokenFeedFacts(this.db, message.id).then((facts) => {
          if (facts) this.broadcast({ event: 'token', data: { token_id: message.id, org_id: facts.orgId, digest_prefix: facts.digest.slice(0, 16) } });
        }, this.onError);
        return;
      case 'owner':
        return this.broadcast({ event: 'owner', data: { user_id: message.id } });
      case 'org':
        return this.broadcast({ event: 'org', data: { org_id: message.id } });
      case 'verifier':
        for (const subscriber of this.subscribers) if (subscriber.verifierId === message.id) subscriber.end();
        return;
      case 'created':
      case 'signing_keys':
        return;
    }
  }

  broadcast(message: FeedMessage): void {
    for (const subscriber of this.subscribers) subscriber.send(message);
  }

  /** Ends every stream, so a closing server is not held open by its listeners. */
  endAll(): void {
    for (const subscriber of [...this.subscribers]) subscriber.end();
  }
}
