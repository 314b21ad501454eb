import type { Webhook, WebhookDelivery, WebhookEvent, WebhookJob } from '../core/webhooks.js';
import { rowMapper, type Codec } from './row-mapper.js';
import type { Executor } from './db.js';
import type { WebhookDeliveryRow, WebhookJobRow, WebhookRow } from './schema.js';

/** JSON text of the subscribed events, or null for every event. */
const EVENTS: Codec<string | null, WebhookEvent[] | null> = {
  fromRow: (text) => (text === null ? null : (JSON.parse(text) as WebhookEvent[])),
  toRow: (events) => (events === null ? null : JSON.stringify(events)),
};

const webhooks = rowMapper<WebhookRow, Webhook>({ events: EVENTS });
const jobs = rowMapper<WebhookJobRow, WebhookJob>({});
const deliveries = rowMapper<WebhookDeliveryRow, WebhookDelivery>({});

export async function insertWebhook(db: Executor, webhook: Webhook): Promise<void> {
  await db.insertInto('webhooks').values(webhooks.toRow(webhook)).execute();
}

export async function findWebhook(db: Executor, orgId: string, id: string): Promise<Webhook | undefined> {
  const row = await db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row && webhooks.fromRow(row);
}

/** For the dispatcher, which delivers for every org. */
export async function findWebhookById(db: Executor, id: string): Promise<Webhook | undefined> {
  const row = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  return row && webhooks.fromRow(row);
}

/** Newest first: endpoints with an id below the cursor. */
export async function listWebhooks(db: Executor, filter: { orgId: string; cursor?: string | undefined; limit: number }): Promise<Webhook[]> {
  let query = db.selectFrom('webhooks').selectAll().where('org_id', '=', filter.orgId);
  if (filter.cursor !== undefined) query = query.where('id', '<', filter.cursor);
  return (await query.orderBy('id', 'desc').limit(filter.limit).execute()).map(webhooks.fromRow);
}

/** Every endpoint of an org, to fan an event out to those subscribed. */
export async function webhooksOfOrg(db: Executor, orgId: string): Promise<Webhook[]> {
  return (await db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId).orderBy('id').execute()).map(webhooks.fromRow);
}

/** Deletes an endpoint with its outbox rows and delivery log (the foreign keys cascade). */
export async function deleteWebhook(db: Executor, orgId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('webhooks').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function insertJobs(db: Executor, list: readonly WebhookJob[]): Promise<void> {
  if (list.length > 0) await db.insertInto('webhook_jobs').values(list.map(jobs.toRow)).execute();
}

/** Pending jobs that are due (a claimed job is not: its lease moved its due time), oldest due first. */
export async function dueJobs(db: Executor, nowMs: number, limit: number): Promise<WebhookJob[]> {
  const rows = await db
    .selectFrom('webhook_jobs')
    .selectAll()
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', nowMs)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
  return rows.map(jobs.fromRow);
}

export type JobKey = Pick<WebhookJob, 'webhookId' | 'eventId'>;

/**
 * Claims a job for one attempt: true for the one process whose UPDATE matched. The condition is
 * the state the candidate was read in (still pending, still due, the same attempt count), so of
 * two processes racing for it only the first changes the row; on PostgreSQL the second waits for
 * the first's commit, re-reads the row and no longer matches. The claim moves the due time to the
 * end of the lease: should this process die, the job falls due again then.
 */
export async function claimJob(db: Executor, job: WebhookJob, nowMs: number, leaseMs: number): Promise<boolean> {
  const result = await db
    .updateTable('webhook_jobs')
    .set({ attempts: job.attempts + 1, next_attempt_at: nowMs + leaseMs })
    .where('webhook_id', '=', job.webhookId)
    .where('event_id', '=', job.eventId)
    .where('status', '=', 'pending')
    .where('attempts', '=', job.attempts)
    .where('next_attempt_at', '<=', nowMs)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Marks a job delivered, whoever holds it now: a 2xx is final, even from a lease that ran out. */
export async function markJobDelivered(db: Executor, key: JobKey): Promise<void> {
  await db.updateTable('webhook_jobs').set({ status: 'delivered' }).where('webhook_id', '=', key.webhookId).where('event_id', '=', key.eventId).where('status', '=', 'pending').execute();
}

/**
 * After a failed attempt: due again at `nextAttemptAt`, or failed for good with null. Only the
 * claim of that attempt may do it; a process whose lease ran out and was overtaken changes nothing.
 */
export async function rescheduleJob(db: Executor, key: JobKey, attempt: number, nextAttemptAt: number | null): Promise<void> {
  await db
    .updateTable('webhook_jobs')
    .set(nextAttemptAt === null ? { status: 'failed' } : { next_attempt_at: nextAttemptAt })
    .where('webhook_id', '=', key.webhookId)
    .where('event_id', '=', key.eventId)
    .where('status', '=', 'pending')
    .where('attempts', '=', attempt)
    .execute();
}

/** Jobs waiting to be delivered, for the outbox depth gauge. */
export async function countPendingJobs(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('webhook_jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertDelivery(db: Executor, delivery: WebhookDelivery): Promise<void> {
  await db.insertInto('webhook_deliveries').values(deliveries.toRow(delivery)).execute();
}

export type DeliveryOutcome = Pick<WebhookDelivery, 'status' | 'responseStatus' | 'error' | 'finishedAt' | 'nextAttemptAt'>;

export async function finishDelivery(db: Executor, id: string, outcome: DeliveryOutcome): Promise<void> {
  await db.updateTable('webhook_deliveries').set(deliveries.toColumns(outcome)).where('id', '=', id).where('status', '=', 'pending').execute();
}

/**
 * Attempts of a job still marked under way when a new one starts: their process stopped (or lost
 * its lease) before it could record an answer, so they are failed with that reason.
 */
export async function abandonDeliveries(db: Executor, key: JobKey, nowMs: number, error: string): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', error, finished_at: nowMs })
    .where('webhook_id', '=', key.webhookId)
    .where('event_id', '=', key.eventId)
    .where('status', '=', 'pending')
    .execute();
}

/** The delivery log of one endpoint, newest attempt first: attempts with an id below the cursor. */
export async function listDeliveries(db: Executor, filter: { webhookId: string; cursor?: string | undefined; limit: number }): Promise<WebhookDelivery[]> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', filter.webhookId);
  if (filter.cursor !== undefined) query = query.where('id', '<', filter.cursor);
  return (await query.orderBy('id', 'desc').limit(filter.limit).execute()).map(deliveries.fromRow);
}

/** Forgets finished jobs and attempts older than `beforeMs`; pending jobs are kept whatever their age. */
export async function pruneWebhookHistory(db: Executor, beforeMs: number): Promise<void> {
  await db.deleteFrom('webhook_jobs').where('status', '!=', 'pending').where('created_at', '<', beforeMs).execute();
  await db.deleteFrom('webhook_deliveries').where('status', '!=', 'pending').where('created_at', '<', beforeMs).execute();
}
