import { sql, type ExpressionBuilder } from 'kysely';
import type { Token } from '../core/model.js';
import type { TokenKind } from '../core/policy.js';
import type { TokenStatus } from '../core/token-status.js';
import type { TokenStateChange } from '../core/token-transitions.js';
import type { RateLimit, RecentIp, UsageRefill } from '../core/usage-limits.js';
import { BOOLEAN, json, nullableJson, rowMapper } from './row-mapper.js';
import { isPostgres } from './engine.js';
import type { Executor } from './db.js';
import type { Database, TokenRow } from './schema.js';

type TokenEb = ExpressionBuilder<Database, 'tokens'>;

export const tokens = rowMapper<TokenRow, Token>({
  impersonation: BOOLEAN,
  scopes: json<string[]>(),
  ipAllowlist: json<string[]>(),
  rateLimits: json<RateLimit[]>(),
  usageRefill: nullableJson<UsageRefill>(),
  recentIps: json<RecentIp[]>(),
});

/** What may change about a stored token: its name and description, and its state. */
export type TokenChange = TokenStateChange & Partial<Pick<Token, 'name' | 'description'>>;

export async function insertToken(db: Executor, token: Token): Promise<void> {
  await db.insertInto('tokens').values(tokens.toRow(token)).execute();
}

/** Many tokens in one statement: bulk imports (and the benchmarks' seeding). */
export async function insertTokens(db: Executor, list: readonly Token[]): Promise<void> {
  if (list.length > 0) await db.insertInto('tokens').values(list.map(tokens.toRow)).execute();
}

/** Refreshes the planner's statistics of the tokens table (both engines): after a bulk import, before they catch up by themselves. */
export async function analyzeTokens(db: Executor): Promise<void> {
  await sql`analyze tokens`.execute(db);
}

export async function findTokenById(db: Executor, orgId: string, id: string): Promise<Token | undefined> {
  const row = await db.selectFrom('tokens').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row && tokens.fromRow(row);
}

/** The verify path's lookup: one probe of the unique digest index. */
export async function findTokenByDigest(db: Executor, digest: string): Promise<Token | undefined> {
  const row = await db.selectFrom('tokens').selectAll().where('digest', '=', digest).executeTakeFirst();
  return row && tokens.fromRow(row);
}

/**
 * A token read for a change that must be decided once (a leak report reaching two processes at
 * once): locked until the transaction ends on PostgreSQL; SQLite runs one transaction at a time.
 */
export async function findTokenForUpdate(trx: Executor, id: string): Promise<Token | undefined> {
  const query = trx.selectFrom('tokens').selectAll().where('id', '=', id);
  const row = await (isPostgres(trx) ? query.forUpdate() : query).executeTakeFirst();
  return row && tokens.fromRow(row);
}

export async function updateToken(db: Executor, id: string, change: TokenChange): Promise<void> {
  await db.updateTable('tokens').set(tokens.toColumns(change)).where('id', '=', id).execute();
}

/**
 * Writes a rotation's change only if nothing replaced the token yet: true for the one rotation
 * that wins when two race (the check before it cannot see a concurrent writer).
 */
export async function updateTokenIfNotReplaced(db: Executor, id: string, change: TokenChange): Promise<boolean> {
  const result = await db.updateTable('tokens').set(tokens.toColumns(change)).where('id', '=', id).where('replaced_by', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

const notRevoked = (now: number) => (eb: TokenEb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now)]);
const notExpired = (now: number) => (eb: TokenEb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]);

/**
 * Tokens that still count against the per-user cap: neither revoked, nor expired, nor disabled.
 * Two counts, each over a partial index: the unrevoked tokens, and those revoked in the future (a
 * rotated-away token in its grace period), so the owner's revoked history is never walked.
 */
export async function countActiveTokens(db: Executor, orgId: string, ownerId: string, nowMs: number): Promise<number> {
  const base = db
    .selectFrom('tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('owner_id', '=', ownerId)
    .where('org_id', '=', orgId)
    .where('impersonation', '=', 0)
    .where(notExpired(nowMs))
    .where('disabled_at', 'is', null);
  const unrevoked = await base.where('revoked_at', 'is', null).executeTakeFirstOrThrow();
  const inGrace = await base.where('revoked_at', '>', nowMs).executeTakeFirstOrThrow();
  return Number(unrevoked.n) + Number(inGrace.n);
}

export type TokenListFilter = {
  orgId: string;
  ownerId?: string | undefined;
  /** Only this token (a service account's token sees itself alone). */
  id?: string | undefined;
  /** Hide impersonation tokens (from those without `tokens.impersonate`). */
  hideImpersonation: boolean;
  /** Only impersonation tokens (for holders of `tokens.impersonate` without `tokens.manage`). */
  onlyImpersonation?: boolean | undefined;
  status?: TokenStatus | undefined;
  kind?: TokenKind | undefined;
  /** Case-insensitive substring of the name. */
  q?: string | undefined;
  /** Only active tokens ending before this time (the expiring-soon filter). */
  endingBefore?: number | undefined;
  /** Newest first: tokens with an id below the cursor. */
  cursor?: string | undefined;
  limit: number;
  nowMs: number;
  /** Expired and revoked tokens older than this are no longer listed. */
  retainSince: number;
};

export async function listTokens(db: Executor, f: TokenListFilter): Promise<Token[]> {
  const now = f.nowMs;
  let query = db.selectFrom('tokens').selectAll().where('org_id', '=', f.orgId);
  if (f.ownerId !== undefined) query = query.where('owner_id', '=', f.ownerId);
  if (f.id !== undefined) query = query.where('id', '=', f.id);
  if (f.hideImpersonation) query = query.where('impersonation', '=', 0);
  if (f.onlyImpersonation) query = query.where('impersonation', '=', 1);
  if (f.kind !== undefined) query = query.where('kind', '=', f.kind);
  if (f.q !== undefined && f.q !== '') {
    const pattern = `%${f.q.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
    query = query.where(sql<boolean>`lower(name) like ${pattern} escape '\\'`);
  }
  // Retention: ended tokens drop out of lists once their end is older than the retention period.
  query = query.where((eb) =>
    eb.and([
      eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>=', f.retainSince)]),
      eb.or([eb('expires_at', 'is', null), eb('expires_at', '>=', f.retainSince)]),
    ]),
  );
  switch (f.status) {
    case 'revoked':
      query = query.where('revoked_at', '<=', now);
      break;
    case 'expired':
      query = query.where(notRevoked(now)).where('expires_at', '<=', now);
      break;
    case 'disabled':
      query = query.where(notRevoked(now)).where(notExpired(now)).where('disabled_at', 'is not', null);
      break;
    case 'active':
      query = query.where(notRevoked(now)).where(notExpired(now)).where('disabled_at', 'is', null);
      break;
    case undefined:
      break;
  }
  if (f.endingBefore !== undefined) {
    const before = f.endingBefore;
    query = query
      .where(notRevoked(now))
      .where(notExpired(now))
      .where('disabled_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', '<=', before), eb('revoked_at', '<=', before)]));
  }
  if (f.cursor !== undefined) query = query.where('id', '<', f.cursor);
  return (await query.orderBy('id', 'desc').limit(f.limit).execute()).map(tokens.fromRow);
}

/** Every token of a rotation chain: follows `rotated_from` back and `replaced_by` forward. */
export async function rotationChain(db: Executor, start: Token): Promise<Token[]> {
  const chain = new Map<string, Token>([[start.id, start]]);
  for (const link of ['rotatedFrom', 'replacedBy'] as const) {
    let next = start[link];
    while (next !== null && !chain.has(next)) {
      const row = await db.selectFrom('tokens').selectAll().where('id', '=', next).executeTakeFirst();
      if (!row) break;
      const token = tokens.fromRow(row);
      chain.set(token.id, token);
      next = token[link];
    }
  }
  return [...chain.values()];
}

/** The tokens an owner holds in an org (or in every org) that are not revoked for good yet. */
export async function unrevokedTokensOfOwner(db: Executor, ownerId: string, orgId: string | null, nowMs: number): Promise<Token[]> {
  let query = db.selectFrom('tokens').selectAll().where('owner_id', '=', ownerId).where(notRevoked(nowMs));
  if (orgId !== null) query = query.where('org_id', '=', orgId);
  return (await query.orderBy('id').execute()).map(tokens.fromRow);
}

/** Writes buffered last-used times; never moves a time backwards. */
export async function recordUsage(db: Executor, usage: { id: string; at: number; ip: string | null }[]): Promise<void> {
  for (const u of usage) {
    await db
      .updateTable('tokens')
      .set({ last_used_at: u.at, last_used_ip: u.ip })
      .where('id', '=', u.id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', u.at)]))
      .execute();
  }
}

/** Active tokens of an org whose expiry falls before `before` and that were not yet announced. */
export async function tokensEnteringWarning(db: Executor, orgId: string, before: number, nowMs: number, limit: number): Promise<Token[]> {
  const rows = await db
    .selectFrom('tokens')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('expiring_notified_at', 'is', null)
    .where('expires_at', '>', nowMs)
    .where('expires_at', '<=', before)
    .where('disabled_at', 'is', null)
    .where(notRevoked(nowMs))
    .orderBy('expires_at')
    .limit(limit)
    .execute();
  return rows.map(tokens.fromRow);
}

/** Tokens that reached their expiry (before any revocation) and were not yet announced. */
export async function tokensNewlyExpired(db: Executor, nowMs: number, limit: number): Promise<Token[]> {
  const rows = await db
    .selectFrom('tokens')
    .selectAll()
    .where('expired_notified_at', 'is', null)
    .where('expires_at', '<=', nowMs)
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', eb.ref('expires_at'))]))
    .orderBy('expires_at')
    .limit(limit)
    .execute();
  return rows.map(tokens.fromRow);
}

/**
 * Claims a lifecycle announcement for one token: true for the one process that set it, so
 * several processes sweeping at once announce each token once.
 */
export async function claimNotification(
  db: Executor,
  id: string,
  column: 'expiring_notified_at' | 'expired_notified_at',
  nowMs: number,
): Promise<boolean> {
  const result = await db.updateTable('tokens').set({ [column]: nowMs }).where('id', '=', id).where(column, 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** What the revocation feed tells of a token: its org and stored digest, whatever its org. */
export async function tokenFeedFacts(db: Executor, id: string): Promise<{ orgId: string; digest: string } | undefined> {
  const row = await db.selectFrom('tokens').select(['org_id', 'digest']).where('id', '=', id).executeTakeFirst();
  return row && { orgId: row.org_id, digest: row.digest };
}

/**
 * Unexpired JWTs that no longer work as signed (revoked, rotated away or disabled), or that must be
 * counted (credits set after they were signed), newest first.
 */
export async function inactiveJwtIds(db: Executor, nowMs: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('tokens')
    .select('id')
    .where('kind', '=', 'jwt')
    .where((eb) => eb.or([eb('revoked_at', 'is not', null), eb('disabled_at', 'is not', null), eb('usage_remaining', 'is not', null), eb('rate_limits', '!=', '[]')]))
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowMs)]))
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Writes credit counts a process saw. A count only ever lowers the stored one of the same setting
 * (version) and period, or replaces one of an older period: writes from several processes, in any
 * order, leave the lowest count of the newest period. A PATCH (a new version) is never overwritten.
 */
export async function recordCredits(db: Executor, counts: readonly { key: string; version: number; period: number; remaining: number }[]): Promise<void> {
  for (const c of counts) {
    await db
      .updateTable('tokens')
      .set({ usage_remaining: Math.max(0, c.remaining), usage_period: c.period })
      .where('limit_key', '=', c.key)
      .where('usage_version', '=', c.version)
      .where('usage_remaining', 'is not', null)
      .where((eb) => eb.or([eb('usage_period', '<', c.period), eb.and([eb('usage_period', '=', c.period), eb('usage_remaining', '>', Math.max(0, c.remaining))])]))
      .execute();
  }
}

/** A new usage limit for a token's whole rotation chain; the version moves on, so counts of the old one are dropped. */
export async function setUsageLimit(db: Executor, limitKey: string, change: { remaining: number | null; refill: string | null; period: number | null }): Promise<void> {
  await db
    .updateTable('tokens')
    .set((eb) => ({ usage_remaining: change.remaining, usage_refill: change.refill, usage_period: change.period, usage_version: eb('usage_version', '+', 1) }))
    .where('limit_key', '=', limitKey)
    .execute();
}

/** The tokens whose counters are kept under `limitKey`: a rotation chain, and tokens a limited token made. */
export async function tokenIdsSharingLimits(db: Executor, limitKey: string): Promise<string[]> {
  return (await db.selectFrom('tokens').select('id').where('limit_key', '=', limitKey).execute()).map((r) => r.id);
}
