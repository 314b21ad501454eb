import type { CreateWebhookRequest, WebhookDeliveryView, WebhookView, WebhookWithSecret } from '../../contract/index.js';
import { NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { normalizeDescription } from '../../core/names.js';
import type { Access } from '../../core/permissions.js';
import { iso, isoRequired } from '../../core/time.js';
import { generateWebhookSecret } from '../../core/webhook-secret.js';
import { checkWebhookUrl, webhookHost } from '../../core/webhook-url.js';
import { WEBHOOK_EVENTS, type Webhook, type WebhookDelivery } from '../../core/webhooks.js';
import type { Executor } from '../../store/db.js';
import { deleteWebhook as deleteWebhookRow, findWebhook, insertWebhook, listDeliveries, listWebhooks as listWebhookRows } from '../../store/webhooks.js';
import { orgAccess, requirePermission, type Caller, type OrgAccess } from '../access.js';
import { actorOf, recordAudit } from '../audit.js';
import type { ServiceContext } from '../context.js';
import { mapPage, pageOf, rowsToFetch, type Page, type PageRequest } from '../pages.js';
import { sealWebhookSecret, webhookSealingKey } from './secrets.js';
import { assertPublicName } from './targets.js';

/** Webhook endpoints of an org: created, listed, deleted by holders of `org.manage`. */

export function webhookView(webhook: Webhook): WebhookView {
  return {
    id: webhook.id,
    org_id: webhook.orgId,
    url: webhook.url,
    events: webhook.events,
    description: webhook.description,
    created_at: isoRequired(webhook.createdAt),
  };
}

export function deliveryView(delivery: WebhookDelivery): WebhookDeliveryView {
  return {
    id: delivery.id,
    webhook_id: delivery.webhookId,
    event_id: delivery.eventId,
    type: delivery.type,
    attempt: delivery.attempt,
    status: delivery.status,
    response_status: delivery.responseStatus,
    error: delivery.error,
    created_at: isoRequired(delivery.createdAt),
    finished_at: iso(delivery.finishedAt),
    next_attempt_at: iso(delivery.nextAttemptAt),
  };
}

/**
 * Who may manage an org's webhooks: `org.manage`, and for a token caller `keyward:admin`. Another
 * org, or one the caller is no member of, is 404. The routes ask this before they validate the
 * body (DESIGN §3), and every use case asks it again.
 */
export async function authorizeWebhooks(db: Executor, caller: Caller, orgId: string, mode: Access): Promise<OrgAccess> {
  const access = await orgAccess(db, caller, orgId);
  requirePermission(access, 'org.manage', mode);
  return access;
}

async function ownWebhook(db: Executor, orgId: string, id: string): Promise<Webhook> {
  const webhook = await findWebhook(db, orgId, id);
  if (!webhook) throw new NotFound('webhook');
  return webhook;
}

/** `POST /orgs/{org}/webhooks`: the endpoint and its signing secret, which is shown this once. */
export async function createWebhook(ctx: ServiceContext, caller: Caller, orgId: string, input: CreateWebhookRequest): Promise<WebhookWithSecret> {
  await authorizeWebhooks(ctx.db, caller, orgId, 'write');
  const allowPrivate = ctx.config.webhookAllowPrivate;
  const url = checkWebhookUrl(input.url, { allowPrivate });
  const host = webhookHost(url);
  if (host.kind === 'name') await assertPublicName(host.name, allowPrivate);
  const description = normalizeDescription(input.description);
  // In the catalog's order, so a subscription reads the same however it was written.
  const events = input.events === undefined ? null : WEBHOOK_EVENTS.filter((e) => input.events?.includes(e));
  const now = ctx.clock.now();
  const actor = actorOf(caller);
  const id = newId('whk', now);
  const secret = generateWebhookSecret();
  const webhook: Webhook = {
    id,
    orgId,
    url: url.href,
    events,
    description,
    sealedSecret: sealWebhookSecret(webhookSealingKey(ctx.pepper), id, secret),
    createdBy: actor.id,
    createdAt: now,
  };
  await ctx.db.transaction().execute(async (trx) => {
    await insertWebhook(trx, webhook);
    // Only the URL's origin: a path or query may carry a receiver's own credential.
    await recordAudit(trx, actor, { orgId, action: 'webhook.created', target: { type: 'webhook', id }, details: { origin: url.origin, events } }, now);
  });
  return { webhook: webhookView(webhook), secret };
}

export async function listWebhooks(ctx: ServiceContext, caller: Caller, orgId: string, page: PageRequest): Promise<Page<WebhookView>> {
  await authorizeWebhooks(ctx.db, caller, orgId, 'read');
  const rows = await listWebhookRows(ctx.db, { orgId, cursor: page.cursor, limit: rowsToFetch(page) });
  return mapPage(pageOf(rows, page, (w) => w.id), webhookView);
}

export async function getWebhook(ctx: ServiceContext, caller: Caller, orgId: string, id: string): Promise<WebhookView> {
  await authorizeWebhooks(ctx.db, caller, orgId, 'read');
  return webhookView(await ownWebhook(ctx.db, orgId, id));
}

/** Deletes the endpoint with its pending deliveries and log; nothing more is sent to it. */
export async function deleteWebhook(ctx: ServiceContext, caller: Caller, orgId: string, id: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await authorizeWebhooks(trx, caller, orgId, 'write');
    const webhook = await ownWebhook(trx, orgId, id);
    if (!(await deleteWebhookRow(trx, orgId, id))) throw new NotFound('webhook');
    await recordAudit(
      trx,
      actorOf(caller),
      { orgId, action: 'webhook.deleted', target: { type: 'webhook', id }, details: { origin: new URL(webhook.url).origin, events: webhook.events } },
      now,
    );
  });
}

/** `GET /orgs/{org}/webhooks/{id}/deliveries`: every attempt, newest first. */
export async function listWebhookDeliveries(ctx: ServiceContext, caller: Caller, orgId: string, id: string, page: PageRequest): Promise<Page<WebhookDeliveryView>> {
  await authorizeWebhooks(ctx.db, caller, orgId, 'read');
  await ownWebhook(ctx.db, orgId, id);
  const rows = await listDeliveries(ctx.db, { webhookId: id, cursor: page.cursor, limit: rowsToFetch(page) });
  return mapPage(pageOf(rows, page, (d) => d.id), deliveryView);
}
