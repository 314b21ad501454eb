import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { VERIFY_CODES, type VerifyCode } from '../core/verify-codes.js';
import type { InvalidationMessage } from './invalidation-message.js';
import type { CacheLookup, InvalidationOrigin, Metrics } from './metrics.js';

/** The parts of a running process the gauges read at scrape time. */
export type Observed = {
  cacheSizes(): { records: number; unknown: number };
  invalidationState(): 'local' | 'live' | 'degraded';
  pendingUsage(): number;
};

type Counted = { inc(): void };

/**
 * Metrics in Prometheus' format (prom-client), in a registry of this process's own. Label
 * children are bound once, so a count on the verify path is one addition.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly verifiedBy: Map<VerifyCode, Counted>;
  private readonly lookups: Record<CacheLookup, Counted>;
  private readonly invalidations: Counter<'kind' | 'origin'>;
  private readonly outbox: Gauge;
  private readonly deliveryFailures: Counter;

  constructor(observed: Observed, options: { processMetrics: boolean }) {
    const verifications = new Counter({ name: 'keyward_verifications_total', help: 'Token verifications by answer code (verify, forward auth, introspection, API authentication).', labelNames: ['code'], registers: [this.registry] });
    this.verifiedBy = new Map(VERIFY_CODES.map((code) => [code, verifications.labels(code)]));
    const lookups = new Counter({ name: 'keyward_token_cache_lookups_total', help: 'Verify cache lookups: hit (a record), unknown (a secret known to be unknown), miss (read from the store).', labelNames: ['result'], registers: [this.registry] });
    this.lookups = { hit: lookups.labels('hit'), unknown: lookups.labels('unknown'), miss: lookups.labels('miss') };
    this.invalidations = new Counter({ name: 'keyward_invalidations_total', help: 'Cache invalidations applied, by kind, from this process (local) or another (remote).', labelNames: ['kind', 'origin'], registers: [this.registry] });
    new Gauge({
      name: 'keyward_token_cache_entries',
      help: 'Entries in the verify cache.',
      labelNames: ['cache'],
      registers: [this.registry],
      collect() {
        const sizes = observed.cacheSizes();
        this.set({ cache: 'records' }, sizes.records);
        this.set({ cache: 'unknown' }, sizes.unknown);
      },
    });
    new Gauge({
      name: 'keyward_invalidation_live',
      help: '1 while this process may answer from its caches (one process, or a cluster listener that is live); 0 while it answers from the database.',
      registers: [this.registry],
      collect() {
        this.set(observed.invalidationState() === 'degraded' ? 0 : 1);
      },
    });
    new Gauge({
      name: 'keyward_usage_pending',
      help: 'Tokens whose last use is in memory, waiting for the next batched write.',
      registers: [this.registry],
      collect() {
        this.set(observed.pendingUsage());
      },
    });
    this.outbox = new Gauge({ name: 'keyward_webhook_outbox_depth', help: 'Webhook deliveries waiting in the outbox (pending, including retries not yet due).', registers: [this.registry] });
    this.deliveryFailures = new Counter({ name: 'keyward_webhook_delivery_failures_total', help: 'Webhook delivery attempts that got no 2xx answer: an error status, a timeout, a refused connection.', registers: [this.registry] });
    // The process's own (memory, event loop, handles) only where it serves: they keep timers running.
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'keyward_' });
  }

  verified(code: VerifyCode): void {
    this.verifiedBy.get(code)?.inc();
  }

  cacheLookup(result: CacheLookup): void {
    this.lookups[result].inc();
  }

  invalidation(kind: InvalidationMessage['kind'], origin: InvalidationOrigin): void {
    this.invalidations.labels(kind, origin).inc();
  }

  outboxDepth(pending: number): void {
    this.outbox.set(pending);
  }

  webhookDeliveryFailed(): void {
    this.deliveryFailures.inc();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
