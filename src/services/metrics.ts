import type { VerifyCode } from '../core/verify-codes.js';
import type { InvalidationMessage } from './invalidation-message.js';

/** What the verify cache made of a lookup: a record, a known-unknown secret, or a miss to the store. */
export type CacheLookup = 'hit' | 'unknown' | 'miss';

/** Where an invalidation came from: a change in this process, or a notification from another. */
export type InvalidationOrigin = 'local' | 'remote';

/**
 * The counters services report to, served at GET /metrics in Prometheus' format. A port on the
 * context like the others; calls sit on the verify path, so they must cost next to nothing.
 */
export interface Metrics {
  verified(code: VerifyCode): void;
  cacheLookup(result: CacheLookup): void;
  invalidation(kind: InvalidationMessage['kind'], origin: InvalidationOrigin): void;
  /** Webhook jobs waiting to be delivered, as the dispatcher last counted them. */
  outboxDepth(pending: number): void;
  /** A webhook delivery attempt that got no 2xx (it is retried unless it was the last). */
  webhookDeliveryFailed(): void;
  /** The exposition text and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}
