import { sql, type ExpressionBuilder } from 'kysely';
import type { TokenKind } from '../core/policy.js';
import type { Executor } from './db.js';
import type { Database, NewToken, TokenRow, TokenUpdate } from './schema.js';

type TokenEb = ExpressionBuilder<Database, 'tokens'>;

export async function insertToken(db: Executor, token: NewToken): Promise<void> {
  await db.insertInto('tokens').values(token).execute();
}

export async function findTokenById(db: Executor, orgId: string, id: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
}

/** The verify path's lookup: one probe of the unique digest index. */
export async function findTokenByDigest(db: Executor, digest: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('digest', '=', digest).executeTakeFirst();
}

export async function updateToken(db: Executor, id: string, change: TokenUpdate): Promise<void> {
  await db.updateTable('tokens').set(change).where('id', '=', id).execute();
}

/** Tokens that still count against the per-user cap: neither revoked, nor expired, nor disabled. */
export async function countActiveTokens(db: Executor, orgId: string, ownerId: string, nowMs: number): Promise<number> {
  const row = await db
    .selectFrom('tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where('owner_id', '=', ownerId)
    .where('impersonation', '=', 0)
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', nowMs)]))
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowMs)]))
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export type TokenStatusFilter = 'active' | 'expired' | 'revoked' | 'disabled';

export type TokenListFilter = {
  orgId: string;
  ownerId?: string | undefined;
  /** Hide impersonation tokens (from those without `tokens.impersonate`). */
  hideImpersonation: boolean;
  /** Only impersonation tokens (for holders of `tokens.impersonate` without `tokens.manage`). */
  onlyImpersonation?: boolean | undefined;
  status?: TokenStatusFilter | undefined;
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

export async function listTokens(db: Executor, f: TokenListFilter): Promise<TokenRow[]> {
  const now = f.nowMs;
  let query = db.selectFrom('tokens').selectAll().where('org_id', '=', f.orgId);
  if (f.ownerId !== undefined) query = query.where('owner_id', '=', f.ownerId);
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
  const notRevoked = (eb: TokenEb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now)]);
  const notExpired = (eb: TokenEb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]);
  switch (f.status) {
    case 'revoked':
      query = query.where('revoked_at', '<=', now);
      break;
    case 'expired':
      query = query.where(notRevoked).where('expires_at', '<=', now);
      break;
    case 'disabled':
      query = query.where(notRevoked).where(notExpired).where('disabled_at', 'is not', null);
      break;
    case 'active':
      query = query.where(notRevoked).where(notExpired).where('disabled_at', 'is', null);
      break;
    case undefined:
      break;
  }
  if (f.endingBefore !== undefined) {
    const before = f.endingBefore;
    query = query
      .where(notRevoked)
      .where(notExpired)
      .where('disabled_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', '<=', before), eb('revoked_at', '<=', before)]));
  }
  if (f.cursor !== undefined) query = query.where('id', '<', f.cursor);
  return query.orderBy('id', 'desc').limit(f.limit).execute();
}

/** Every token of a rotation chain: follows `rotated_from` back and `replaced_by` forward. */
export async function rotationChain(db: Executor, start: TokenRow): Promise<TokenRow[]> {
  const chain = new Map<string, TokenRow>([[start.id, start]]);
  for (const link of ['rotated_from', 'replaced_by'] as const) {
    let next = start[link];
    while (next !== null && !chain.has(next)) {
      const row = await db.selectFrom('tokens').selectAll().where('id', '=', next).executeTakeFirst();
      if (!row) break;
      chain.set(row.id, row);
      next = row[link];
    }
  }
  return [...chain.values()];
}

/** Disables every still-enabled token an owner holds in an org (or in every org). */
export async function disableTokensOfOwner(
  db: Executor,
  ownerId: string,
  orgId: string | null,
  reason: string,
  nowMs: number,
): Promise<string[]> {
  let query = db
    .selectFrom('tokens')
    .select('id')
    .where('owner_id', '=', ownerId)
    .where('disabled_at', 'is', null)
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', nowMs)]));
  if (orgId !== null) query = query.where('org_id', '=', orgId);
  const ids = (await query.execute()).map((r) => r.id);
  if (ids.length > 0) {
    await db.updateTable('tokens').set({ disabled_at: nowMs, disabled_reason: reason }).where('id', 'in', ids).execute();
  }
  return ids;
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

/** The type (user or service account) of each owner, for the wire's `owner.type`. */
export async function ownerTypes(db: Executor, ownerIds: readonly string[]): Promise<Map<string, 'user' | 'service_account'>> {
  if (ownerIds.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'type']).where('id', 'in', [...new Set(ownerIds)]).execute();
  return new Map(rows.map((r) => [r.id, r.type]));
}

/** Active tokens of an org whose expiry falls before `before` and that were not yet announced. */
export async function tokensEnteringWarning(
  db: Executor,
  orgId: string,
  before: number,
  nowMs: number,
  limit: number,
): Promise<TokenRow[]> {
  return db
    .selectFrom('tokens')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('expiring_notified_at', 'is', null)
    .where('expires_at', '>', nowMs)
    .where('expires_at', '<=', before)
    .where('disabled_at', 'is', null)
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', nowMs)]))
    .orderBy('expires_at')
    .limit(limit)
    .execute();
}

/** Tokens that reached their expiry (before any revocation) and were not yet announced. */
export async function tokensNewlyExpired(db: Executor, nowMs: number, limit: number): Promise<TokenRow[]> {
  return db
    .selectFrom('tokens')
    .selectAll()
    .where('expired_notified_at', 'is', null)
    .where('expires_at', '<=', nowMs)
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', eb.ref('expires_at'))]))
    .orderBy('expires_at')
    .limit(limit)
    .execute();
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
  const result = await db
    .updateTable('tokens')
    .set({ [column]: nowMs })
    .where('id', '=', id)
    .where(column, 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Marks a token as replaced by its successor, only if nothing replaced it yet: true for the one
 * rotation that wins when two race (the check before it cannot see a concurrent writer).
 */
export async function markReplaced(
  db: Executor,
  id: string,
  change: { replacedBy: string; revokedAt: number },
): Promise<boolean> {
  const result = await db
    .updateTable('tokens')
    .set({ replaced_by: change.replacedBy, revoked_at: change.revokedAt, revoked_reason: 'rotated' })
    .where('id', '=', id)
    .where('replaced_by', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
