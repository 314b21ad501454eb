import { Webhook as StandardWebhook } from 'standardwebhooks';
import { newId } from '../../core/ids.js';
import { DAY_MS } from '../../core/policy.js';
import { MAX_DELIVERY_ATTEMPTS, retryDelayMs } from '../../core/webhook-retry.js';
import type { WebhookDelivery, WebhookJob } from '../../core/webhooks.js';
import {
  abandonDeliveries,
  claimJob,
  countPendingJobs,
  dueJobs,
  findWebhookById,
  finishDelivery,
  insertDelivery,
  markJobDelivered,
  pruneWebhookHistory,
  rescheduleJob,
} from '../../store/webhooks.js';
import type { ServiceContext } from '../context.js';
import { postWebhook, type DeliveryRequest, type DeliveryResult } from './delivery.js';
import { openWebhookSecret, webhookSealingKey } from './secrets.js';

export type DispatcherOptions = {
  /** How often the outbox is polled. */
  pollMs?: number;
  /** How long an endpoint has to answer. */
  timeoutMs?: number;
  /** Deliveries under way at once in this process. */
  concurrency?: number;
  /** [0, 1): the retry jitter. */
  random?: () => number;
  /** The POST itself; tests may wrap it. */
  post?: (request: DeliveryRequest) => Promise<DeliveryResult>;
};

/** Beyond the timeout, the time a claimed job stays another process's before it is retried. */
const LEASE_MARGIN_MS = 5_000;
/** Finished deliveries and their log are kept this long. */
const HISTORY_DAYS = 30;
const PRUNE_EVERY_MS = 3_600_000;

const UNSEALABLE = 'The signing secret cannot be opened: KEYWARD_PEPPER is not the pepper it was sealed with.';
const ABANDONED = 'Keyward stopped before the endpoint answered; the event was sent again.';
/**
 * A job whose attempts keep being abandoned (a process that dies while sending it, every time) is
 * given up after this many, rather than retried for ever; shutdowns and crashes count as attempts.
 */
const GIVE_UP_AFTER = 2 * MAX_DELIVERY_ATTEMPTS;

/**
 * Delivers the outbox: every process of a deployment runs one. Each round it reads the due jobs
 * and claims each with a conditional UPDATE that only one process can win (store/webhooks.ts
 * `claimJob`); the claim is a lease as long as the timeout plus a margin, so the job of a process
 * that died mid-delivery falls due again by itself. At least once: a job is marked delivered only
 * after the endpoint's 2xx, and a process that dies after the 2xx but before recording it sends
 * the event again, with the same `webhook-id` for the receiver to recognize it.
 */
export class WebhookDispatcher {
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly random: () => number;
  private readonly post: (request: DeliveryRequest) => Promise<DeliveryResult>;
  private readonly sealingKey: Buffer;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<unknown> | null = null;
  private prunedAt = 0;

  constructor(
    private readonly ctx: ServiceContext,
    options: DispatcherOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.concurrency = options.concurrency ?? 16;
    this.random = options.random ?? Math.random;
    this.post = options.post ?? postWebhook;
    this.sealingKey = webhookSealingKey(ctx.pepper);
  }

  get leaseMs(): number {
    return this.timeoutMs + LEASE_MARGIN_MS;
  }

  /** Polls every `pollMs` in the background until stopped. */
  start(onError: (error: unknown) => void): void {
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = this.poll()
        .then(() => this.housekeeping())
        .catch(onError)
        .finally(() => (this.polling = null));
    }, this.pollMs);
    this.timer.unref();
  }

  /**
   * Stops polling and ends the deliveries under way: they are recorded as failed and due again at
   * once, for another process (or this one's next start) to send.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.shutdown.abort();
    await this.polling;
    await Promise.allSettled([...this.inFlight]);
  }

  /** One round, awaited to the end: claims what is due and delivers it. Returns how many it sent. */
  async runOnce(): Promise<number> {
    const started = await this.poll();
    await Promise.all(started);
    return started.length;
  }

  /** Claims what is due, up to the free delivery slots, and starts the deliveries. */
  private async poll(): Promise<Promise<void>[]> {
    const started: Promise<void>[] = [];
    const free = this.concurrency - this.inFlight.size;
    const now = this.ctx.clock.now();
    const candidates = free > 0 && !this.shutdown.signal.aborted ? await dueJobs(this.ctx.db, now, free) : [];
    for (const job of candidates) {
      if (this.shutdown.signal.aborted) break;
      const delivery = await this.claim(job, now);
      if (!delivery) continue;
      const run = this.deliver(job, delivery).catch((error: unknown) => {
        // The lease runs out and the job is retried: nothing is lost, but someone should know.
        this.ctx.log.error({ err: error, webhook_id: job.webhookId, event_id: job.eventId }, 'webhook delivery could not be recorded');
      });
      const tracked = run.finally(() => this.inFlight.delete(tracked));
      this.inFlight.add(tracked);
      started.push(tracked);
    }
    this.ctx.metrics.outboxDepth(await countPendingJobs(this.ctx.db));
    return started;
  }

  /** The claim and the attempt's log entry, together: an attempt is logged exactly when it is made. */
  private claim(job: WebhookJob, now: number): Promise<WebhookDelivery | null> {
    return this.ctx.db.transaction().execute(async (trx) => {
      if (job.attempts >= GIVE_UP_AFTER) {
        await rescheduleJob(trx, job, job.attempts, null);
        await abandonDeliveries(trx, job, now, ABANDONED.replace('the event was sent again', 'the event was given up'));
        return null;
      }
      if (!(await claimJob(trx, job, now, this.leaseMs))) return null;
      // An attempt still under way in the log belonged to a process whose lease ran out.
      await abandonDeliveries(trx, job, now, ABANDONED);
      const delivery: WebhookDelivery = {
        id: newId('dlv', now),
        webhookId: job.webhookId,
        eventId: job.eventId,
        type: job.type,
        attempt: job.attempts + 1,
        status: 'pending',
        responseStatus: null,
        error: null,
        createdAt: now,
        finishedAt: null,
        nextAttemptAt: null,
      };
      await insertDelivery(trx, delivery);
      return delivery;
    });
  }

  private async deliver(job: WebhookJob, delivery: WebhookDelivery): Promise<void> {
    const webhook = await findWebhookById(this.ctx.db, job.webhookId);
    // Deleted since the claim: its jobs and log went with it.
    if (!webhook) return;
    const secret = this.secretOf(webhook.id, webhook.sealedSecret);
    const result: DeliveryResult = secret === null ? { kind: 'error', error: UNSEALABLE, aborted: false } : await this.send(job, webhook.url, secret);
    const finishedAt = this.ctx.clock.now();
    const status = result.kind === 'response' ? result.status : null;
    if (status !== null && status >= 200 && status < 300) {
      await this.ctx.db.transaction().execute(async (trx) => {
        await markJobDelivered(trx, job);
        await finishDelivery(trx, delivery.id, { status: 'delivered', responseStatus: status, error: null, finishedAt, nextAttemptAt: null });
      });
      return;
    }
    this.ctx.metrics.webhookDeliveryFailed();
    const error = result.kind === 'error' ? result.error : status !== null && status >= 300 && status < 400 ? 'Redirects are not followed.' : null;
    // A shutdown is not the endpoint's failure: the next process sends it at once.
    const delay = result.kind === 'error' && result.aborted ? 0 : retryDelayMs(delivery.attempt, this.random());
    const nextAttemptAt = delay === null ? null : finishedAt + delay;
    await this.ctx.db.transaction().execute(async (trx) => {
      await rescheduleJob(trx, job, delivery.attempt, nextAttemptAt);
      await finishDelivery(trx, delivery.id, { status: 'failed', responseStatus: status, error, finishedAt, nextAttemptAt });
    });
  }

  /** The POST, signed now: the timestamp is the attempt's, the id and body the event's on every attempt. */
  private send(job: WebhookJob, url: string, secret: string): Promise<DeliveryResult> {
    const sentAt = this.ctx.clock.now();
    return this.post({
      url,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Keyward-Webhooks/1',
        'webhook-id': job.eventId,
        'webhook-timestamp': String(Math.floor(sentAt / 1000)),
        'webhook-signature': new StandardWebhook(secret).sign(job.eventId, new Date(sentAt), job.payload),
      },
      body: job.payload,
      timeoutMs: this.timeoutMs,
      allowPrivate: this.ctx.config.webhookAllowPrivate,
      signal: this.shutdown.signal,
    });
  }

  /** The signing secret, or null when it does not open (the pepper it was sealed with is gone). */
  private secretOf(webhookId: string, sealed: string): string | null {
    try {
      return openWebhookSecret(this.sealingKey, webhookId, sealed);
    } catch {
      return null;
    }
  }

  /** Now and then, forgets old finished deliveries. */
  private async housekeeping(): Promise<void> {
    const now = this.ctx.clock.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    await pruneWebhookHistory(this.ctx.db, now - HISTORY_DAYS * DAY_MS);
  }
}
