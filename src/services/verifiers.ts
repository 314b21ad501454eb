import { isIP } from 'node:net';
import { InvalidToken, NotFound, ValidationFailed } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { normalizeName } from '../core/names.js';
import { generateApiKey, parseApiKey, secretHint, verifierPrefix } from '../core/token-format.js';
import { digestSecret, sameDigest } from '../core/token-hash.js';
import type { VerifierRow } from '../store/schema.js';
import {
  findVerifierByDigest,
  findVerifierById,
  insertVerifier,
  listVerifiers as listVerifierRows,
  revokeVerifier as revokeVerifierRow,
  touchVerifier,
} from '../store/verifiers.js';
import { requireSiteAdmin, type Caller, type RequestMeta } from './access.js';
import { actorOf, recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';
import { pageOf, type Page, type PageRequest } from './pages.js';
import { noteRejectedUse } from './rejections.js';
import { verifyToken, type VerifyResult } from './verification.js';

/**
 * Verifier credentials: what a resource server presents to ask Keyward about tokens. They can
 * only verify and introspect; site admins create and revoke them.
 */
export type CreatedVerifier = { verifier: VerifierRow; secret: string };

export async function createVerifier(ctx: ServiceContext, caller: Caller, input: { name: string }): Promise<CreatedVerifier> {
  requireSiteAdmin(caller);
  const name = normalizeName(input.name);
  const now = ctx.clock.now();
  const actor = actorOf(caller);
  const secret = generateApiKey(verifierPrefix(ctx.config.tokenPrefix));
  const verifier: VerifierRow = {
    id: newId('vrf', now),
    name,
    digest: digestSecret(ctx.pepper, secret),
    hint: secretHint(secret),
    created_by: actor.id,
    created_at: now,
    last_used_at: null,
    revoked_at: null,
  };
  await ctx.db.transaction().execute(async (trx) => {
    await insertVerifier(trx, verifier);
    await recordAudit(
      trx,
      actor,
      { orgId: null, action: 'verifier.created', target: { type: 'verifier', id: verifier.id }, details: { name } },
      now,
    );
  });
  return { verifier, secret };
}

export async function listVerifiers(ctx: ServiceContext, caller: Caller, page: PageRequest): Promise<Page<VerifierRow>> {
  requireSiteAdmin(caller);
  const rows = await listVerifierRows(ctx.db, { cursor: page.cursor, limit: page.limit + 1 });
  return pageOf(rows, page.limit, (row) => row.id);
}

/** Revocation is immediate on this process and permanent; revoking twice changes nothing. */
export async function revokeVerifier(ctx: ServiceContext, caller: Caller, id: string): Promise<void> {
  requireSiteAdmin(caller);
  const verifier = await findVerifierById(ctx.db, id);
  if (!verifier) throw new NotFound('verifier');
  if (verifier.revoked_at !== null) return;
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await revokeVerifierRow(trx, id, now);
    await recordAudit(
      trx,
      actorOf(caller),
      { orgId: null, action: 'verifier.revoked', target: { type: 'verifier', id }, details: { name: verifier.name } },
      now,
    );
  });
  verifierCache(ctx).delete(verifier.digest);
}

/** Bounds how long another process may still accept a verifier revoked elsewhere. */
const VERIFIER_TTL_MS = 10_000;
/** Last-used times are written at most this often per verifier, off the request's path. */
const TOUCH_INTERVAL_MS = 60_000;
const MAX_CACHED = 1_000;

type CachedVerifier = { row: VerifierRow; loadedAt: number; touchedAt: number };
const caches = new WeakMap<ServiceContext, Map<string, CachedVerifier>>();

function verifierCache(ctx: ServiceContext): Map<string, CachedVerifier> {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new Map()));
  return cache;
}

/**
 * The verifier a secret belongs to, or InvalidToken. Like the token verify path: a malformed
 * secret or a bad checksum is refused before any read, and a cached verifier awaits nothing.
 * `expectedId` is for HTTP Basic, where the verifier id travels beside the secret.
 */
export async function authenticateVerifier(ctx: ServiceContext, secret: string, expectedId?: string): Promise<VerifierRow> {
  if (parseApiKey(secret, verifierPrefix(ctx.config.tokenPrefix)) === null) {
    throw new InvalidToken('The verifier credential is not valid.');
  }
  const digest = digestSecret(ctx.pepper, secret);
  const now = ctx.clock.now();
  const cache = verifierCache(ctx);
  let entry = cache.get(digest);
  if (!entry || now - entry.loadedAt > VERIFIER_TTL_MS) {
    const row = await findVerifierByDigest(ctx.db, digest);
    if (!row || !sameDigest(row.digest, digest)) {
      cache.delete(digest);
      throw new InvalidToken('The verifier credential is not valid.');
    }
    if (cache.size >= MAX_CACHED) cache.clear();
    entry = { row, loadedAt: now, touchedAt: row.last_used_at === null ? -Infinity : Number(row.last_used_at) };
    cache.set(digest, entry);
  }
  const { row } = entry;
  if (row.revoked_at !== null) throw new InvalidToken('The verifier credential was revoked.');
  if (expectedId !== undefined && row.id !== expectedId) throw new InvalidToken('The verifier credential is not valid.');
  if (now - entry.touchedAt >= TOUCH_INTERVAL_MS) {
    entry.touchedAt = now;
    touchVerifier(ctx.db, row.id, now).catch((error: unknown) => ctx.log.error({ err: error }, 'could not record a verifier use'));
  }
  return row;
}

export type TokenQuestion = {
  token: string;
  scopes?: readonly string[] | undefined;
  /** The client address the resource server saw; a token with an allowlist needs it. */
  ip?: string | undefined;
};

/**
 * A resource server asks whether a token is good for the given scopes. Failed uses of known
 * tokens are audited as coming from the client's address.
 */
export async function verifyPresentedToken(ctx: ServiceContext, question: TokenQuestion, meta: RequestMeta): Promise<VerifyResult> {
  if (question.ip !== undefined && isIP(question.ip) === 0) {
    throw new ValidationFailed('ip is not an IP address.', { field: 'ip' });
  }
  // Without an address, a token restricted to some addresses fails closed (IP_NOT_ALLOWED).
  const ip = question.ip ?? null;
  const result = await verifyToken(ctx, { secret: question.token, requiredScopes: question.scopes ?? [], ip });
  if (!result.valid && result.record) noteRejectedUse(ctx, result.record.row, result.code, { ...meta, ip });
  return result;
}
