import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../engine.js';

/**
 * Webhooks: the endpoints of each org, the outbox of events to deliver to them, and the log of
 * every delivery attempt. Ids compare bytewise on both engines (`COLLATE "C"` on PostgreSQL), as
 * in 001, since time-sortable ids are the pagination cursors. Deleting an endpoint deletes its
 * outbox rows and log with it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const key = isPostgres(db) ? sql`text collate "C"` : 'text';
  await db.schema
    .createTable('webhooks')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('org_id', key, (c) => c.notNull().references('orgs.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text')
    .addColumn('description', 'text')
    .addColumn('sealed_secret', 'text', (c) => c.notNull())
    .addColumn('created_by', key)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhooks_org_id').on('webhooks').columns(['org_id', 'id']).execute();

  await db.schema
    .createTable('webhook_jobs')
    .addColumn('webhook_id', key, (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event_id', key, (c) => c.notNull())
    .addColumn('org_id', key, (c) => c.notNull())
    .addColumn('type', key, (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_jobs_pk', ['webhook_id', 'event_id'])
    .execute();
  // The dispatcher's scan: pending jobs in the order they fall due.
  await db.schema.createIndex('webhook_jobs_due').on('webhook_jobs').columns(['status', 'next_attempt_at']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('webhook_id', key, (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event_id', key, (c) => c.notNull())
    .addColumn('type', key, (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('next_attempt_at', 'bigint')
    .execute();
  await db.schema.createIndex('webhook_deliveries_webhook_id').on('webhook_deliveries').columns(['webhook_id', 'id']).execute();
  await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').columns(['webhook_id', 'event_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhook_jobs').execute();
  await db.schema.dropTable('webhooks').execute();
}
