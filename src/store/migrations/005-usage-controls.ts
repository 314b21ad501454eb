import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../engine.js';

/**
 * Usage controls (DESIGN §1): a token's rate limits, its credits and the addresses it was used
 * from, and the table of verify outcomes counted per token, per hour or day, per code (and indexes
 * the sessions and the cap's count lacked).
 *
 * `limit_key` is what a token's counters are kept under: its own id, and for a rotated token its
 * predecessor's key, so a rotation neither resets the limits nor doubles them during the grace
 * period. Credits are stored as the count last written (`usage_remaining`, null without a usage
 * limit), the refill period it belongs to and the version of the setting (bumped by each PATCH), so
 * writes from several processes only ever lower the count of the setting and period they saw.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const key = isPostgres(db) ? sql`text collate "C"` : 'text';
  await db.schema.alterTable('tokens').addColumn('rate_limits', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('tokens').addColumn('limit_key', key).execute();
  await db.schema.alterTable('tokens').addColumn('usage_remaining', 'bigint').execute();
  await db.schema.alterTable('tokens').addColumn('usage_refill', 'text').execute();
  await db.schema.alterTable('tokens').addColumn('usage_period', 'bigint').execute();
  await db.schema.alterTable('tokens').addColumn('usage_version', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('tokens').addColumn('recent_ips', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await sql`update tokens set limit_key = id`.execute(db);
  await db.schema.createIndex('tokens_limit_key').on('tokens').column('limit_key').execute();

  await db.schema
    .createTable('usage_buckets')
    .addColumn('token_id', key, (c) => c.notNull())
    .addColumn('org_id', key, (c) => c.notNull())
    .addColumn('granularity', 'text', (c) => c.notNull())
    .addColumn('bucket_start', 'bigint', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_buckets_pk', ['token_id', 'granularity', 'bucket_start', 'code'])
    .execute();
  // The org overview and the retention sweep read by org (or by granularity) and time.
  await db.schema.createIndex('usage_buckets_org').on('usage_buckets').columns(['org_id', 'granularity', 'bucket_start']).execute();
  // The retention sweep deletes by granularity and age, whatever the org.
  await db.schema.createIndex('usage_buckets_age').on('usage_buckets').columns(['granularity', 'bucket_start']).execute();
  // Every sign-in purges the expired sessions: a range scan, not a walk of them all.
  await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();
  // The per-user cap counts an owner's live tokens at every create: without these it walked every
  // token the owner ever had, revoked ones included (7 ms at 40,000, holding SQLite's one writer).
  await sql`create index tokens_unrevoked on tokens (owner_id, org_id) where revoked_at is null`.execute(db);
  await sql`create index tokens_revoked_at on tokens (owner_id, org_id, revoked_at) where revoked_at is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('tokens_revoked_at').execute();
  await db.schema.dropIndex('tokens_unrevoked').execute();
  await db.schema.dropIndex('sessions_expires_at').execute();
  await db.schema.dropTable('usage_buckets').execute();
  await db.schema.dropIndex('tokens_limit_key').execute();
  for (const column of ['recent_ips', 'usage_version', 'usage_period', 'usage_refill', 'usage_remaining', 'limit_key', 'rate_limits']) {
    await db.schema.alterTable('tokens').dropColumn(column).execute();
  }
}
