import type { Token } from '../core/model.js';
import { USAGE_GRANULARITIES, USAGE_RETENTION_MS, type UsageCount, type UsageGranularity, type UsageRange } from '../core/usage-buckets.js';
import type { RecentIp } from '../core/usage-limits.js';
import type { VerifyCode } from '../core/verify-codes.js';
import type { Executor } from './db.js';
import { isPostgres } from './engine.js';
import type { UsageBucketRow } from './schema.js';
import { tokens } from './tokens.js';

/** Usage analytics (DESIGN §1): verify outcomes per token, per hour or day, per code. */

/** Rows per statement: far below either engine's limit on bound parameters (6 per row). */
const CHUNK = 500;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/**
 * Adds counts to their buckets: `count = count + excluded.count`, so every process adds what it
 * counted and none overwrites another's. Rows go in primary-key order, so two processes adding to
 * the same buckets at once lock them in the same order on PostgreSQL and cannot deadlock. Each
 * (token, granularity, bucket, code) may appear once: an upsert cannot touch a row twice.
 */
export async function addUsageCounts(db: Executor, rows: readonly UsageBucketRow[]): Promise<void> {
  const ordered = [...rows].sort(byPrimaryKey);
  for (const chunk of chunks(ordered)) {
    await db
      .insertInto('usage_buckets')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['token_id', 'granularity', 'bucket_start', 'code']).doUpdateSet((eb) => ({ count: eb('usage_buckets.count', '+', eb.ref('excluded.count')) })),
      )
      .execute();
  }
}

function byPrimaryKey(a: UsageBucketRow, b: UsageBucketRow): number {
  return compare(a.token_id, b.token_id) || compare(a.granularity, b.granularity) || a.bucket_start - b.bucket_start || compare(a.code, b.code);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Tokens about to take a flush's last-used times and addresses, in id order, locked until the
 * transaction ends on PostgreSQL (so two processes' read-modify-writes of `recent_ips` queue
 * instead of losing each other's addresses); SQLite runs one transaction at a time.
 */
export async function lockTokensForUsage(trx: Executor, ids: readonly string[]): Promise<Token[]> {
  const sorted = [...ids].sort(compare);
  const found: Token[] = [];
  for (const chunk of chunks(sorted)) {
    const query = trx.selectFrom('tokens').selectAll().where('id', 'in', chunk).orderBy('id');
    const rows = await (isPostgres(trx) ? query.forUpdate() : query).execute();
    found.push(...rows.map(tokens.fromRow));
  }
  return found;
}

export async function setRecentIps(db: Executor, id: string, recentIps: RecentIp[]): Promise<void> {
  await db.updateTable('tokens').set(tokens.toColumns({ recentIps })).where('id', '=', id).execute();
}

/** One token's stored counts in the range. */
export async function tokenUsageCounts(db: Executor, tokenId: string, range: UsageRange): Promise<UsageCount[]> {
  const rows = await db
    .selectFrom('usage_buckets')
    .select(['token_id', 'bucket_start', 'code', 'count'])
    .where('token_id', '=', tokenId)
    .where('granularity', '=', range.granularity)
    .where('bucket_start', '>=', range.since)
    .where('bucket_start', '<', range.until)
    .execute();
  return rows.map((r) => usageCount(r.token_id, r.bucket_start, r.code, r.count));
}

/** An org's counts in the range; impersonation tokens left out for callers who may not see them. */
function orgBuckets(db: Executor, orgId: string, range: UsageRange, hideImpersonation: boolean) {
  return db
    .selectFrom('usage_buckets')
    .innerJoin('tokens', 'tokens.id', 'usage_buckets.token_id')
    .where('usage_buckets.org_id', '=', orgId)
    .where('usage_buckets.granularity', '=', range.granularity)
    .where('usage_buckets.bucket_start', '>=', range.since)
    .where('usage_buckets.bucket_start', '<', range.until)
    .$if(hideImpersonation, (q) => q.where('tokens.impersonation', '=', 0));
}

/** An org's stored counts in the range summed over its tokens, per bucket and code (`tokenId` is empty). */
export async function orgUsageByBucket(db: Executor, orgId: string, range: UsageRange, hideImpersonation: boolean): Promise<UsageCount[]> {
  const rows = await orgBuckets(db, orgId, range, hideImpersonation)
    .select((eb) => ['usage_buckets.bucket_start', 'usage_buckets.code', eb.fn.sum<number | string>('usage_buckets.count').as('count')])
    .groupBy(['usage_buckets.bucket_start', 'usage_buckets.code'])
    .execute();
  return rows.map((r) => usageCount('', r.bucket_start, r.code, r.count));
}

/** An org's stored counts in the range summed over its buckets, per token and code (`bucketStart` is the range's start). */
export async function orgUsageByToken(db: Executor, orgId: string, range: UsageRange, hideImpersonation: boolean): Promise<UsageCount[]> {
  const rows = await orgBuckets(db, orgId, range, hideImpersonation)
    .select((eb) => ['usage_buckets.token_id', 'usage_buckets.code', eb.fn.sum<number | string>('usage_buckets.count').as('count')])
    .groupBy(['usage_buckets.token_id', 'usage_buckets.code'])
    .execute();
  return rows.map((r) => usageCount(r.token_id, range.since, r.code, r.count));
}

/** PostgreSQL sums bigints as numeric, which arrives as text: a number once, here. */
function usageCount(tokenId: string, bucketStart: number, code: VerifyCode, count: number | string): UsageCount {
  return { tokenId, bucketStart, code, count: Number(count) };
}

/** The names of an org's tokens, by id. */
export async function tokenNames(db: Executor, orgId: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('tokens').select(['id', 'name']).where('org_id', '=', orgId).where('id', 'in', [...ids]).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Drops buckets older than their granularity keeps (hours 90 days, days two years); the number dropped. */
export async function deleteExpiredUsage(db: Executor, nowMs: number): Promise<number> {
  let deleted = 0;
  for (const granularity of USAGE_GRANULARITIES) deleted += await deleteBucketsBefore(db, granularity, nowMs - USAGE_RETENTION_MS[granularity]);
  return deleted;
}

async function deleteBucketsBefore(db: Executor, granularity: UsageGranularity, before: number): Promise<number> {
  const result = await db.deleteFrom('usage_buckets').where('granularity', '=', granularity).where('bucket_start', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
