/**
 * The events an org's webhooks may subscribe to (DESIGN §1 "Webhooks"). Each is also the audit
 * action that records it, so the outbox is filled where the audit event is written.
 */
export const WEBHOOK_EVENTS = ['token.created', 'token.revoked', 'token.rotated', 'token.expiring', 'token.expired', 'token.leaked'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export function isWebhookEvent(action: string): action is WebhookEvent {
  return (WEBHOOK_EVENTS as readonly string[]).includes(action);
}

/**
 * Where a delivery stands: `pending` while it is being sent (an attempt) or waiting for its next
 * try (a job), `delivered` once the endpoint answered 2xx, `failed` when it did not.
 */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Whether an endpoint subscribed to an event: no list means every event, now and later. */
export function subscribes(events: readonly WebhookEvent[] | null, event: WebhookEvent): boolean {
  return events === null || events.includes(event);
}

/** An org's webhook endpoint. Its signing secret is kept sealed (it must be recoverable to sign). */
export type Webhook = {
  id: string;
  orgId: string;
  url: string;
  /** null: every event. */
  events: WebhookEvent[] | null;
  description: string | null;
  sealedSecret: string;
  createdBy: string | null;
  createdAt: number;
};

/**
 * One event to deliver to one endpoint: a row of the outbox, written in the transaction that
 * audited the event. `nextAttemptAt` is when it is due; while a process delivers it, it is the end
 * of that process's lease, so a job whose process died becomes due again by itself.
 */
export type WebhookJob = {
  webhookId: string;
  eventId: string;
  orgId: string;
  type: WebhookEvent;
  /** The JSON body, made once at enqueue time and sent byte for byte on every attempt. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
};

/** One attempt of a job, as the delivery log keeps it. */
export type WebhookDelivery = {
  id: string;
  webhookId: string;
  eventId: string;
  type: WebhookEvent;
  attempt: number;
  status: DeliveryStatus;
  responseStatus: number | null;
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
  nextAttemptAt: number | null;
};
