import type { WebhookPayload } from '../../contract/index.js';
import type { ActorType } from '../../core/model.js';
import { isoRequired } from '../../core/time.js';
import { subscribes, type WebhookEvent, type WebhookJob } from '../../core/webhooks.js';
import type { Executor } from '../../store/db.js';
import { findOrgById } from '../../store/orgs.js';
import { findTokenById } from '../../store/tokens.js';
import { userTypes } from '../../store/users.js';
import { insertJobs, webhooksOfOrg } from '../../store/webhooks.js';
import { tokenView } from '../tokens/view.js';

/** An audited token event, as the outbox needs it (the audit module's own types stay there). */
export type WebhookEventRecord = {
  /** The audit event's id: the `webhook-id` of every delivery of it, stable across retries. */
  id: string;
  orgId: string;
  type: WebhookEvent;
  tokenId: string;
  actor: { type: ActorType; id: string | null; impersonatorId: string | null };
  createdAt: number;
};

/**
 * Fills the outbox in the transaction that audits the event: one job per endpoint of the org
 * subscribed to it, so an event is delivered exactly when its change committed, and survives any
 * restart. The body is made now, from the token as this transaction sees it, and never changes:
 * every retry sends the same bytes under the same signature input.
 */
export async function enqueueWebhookEvent(db: Executor, event: WebhookEventRecord): Promise<number> {
  const endpoints = (await webhooksOfOrg(db, event.orgId)).filter((w) => subscribes(w.events, event.type));
  if (endpoints.length === 0) return 0;
  const [token, org] = [await findTokenById(db, event.orgId, event.tokenId), await findOrgById(db, event.orgId)];
  if (!token || !org) return 0;
  const ownerType = (await userTypes(db, [token.ownerId])).get(token.ownerId) ?? 'user';
  const payload: WebhookPayload = {
    type: event.type,
    timestamp: isoRequired(event.createdAt),
    data: {
      // The API's token object: metadata and a hint, never the secret (which no row holds).
      token: tokenView(token, { nowMs: event.createdAt, warningWindowDays: org.tokenPolicy.warning_window_days, ownerType }),
      actor: {
        type: event.actor.type,
        id: event.actor.id,
        impersonator: event.actor.impersonatorId === null ? null : { id: event.actor.impersonatorId },
      },
    },
  };
  const body = JSON.stringify(payload);
  const jobs: WebhookJob[] = endpoints.map((webhook) => ({
    webhookId: webhook.id,
    eventId: event.id,
    orgId: event.orgId,
    type: event.type,
    payload: body,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: event.createdAt,
    createdAt: event.createdAt,
  }));
  await insertJobs(db, jobs);
  return jobs.length;
}
