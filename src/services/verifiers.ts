import { isIP } from 'node:net';
import type { VerifierView, VerifierWithSecret, VerifyRequest } from '../contract/index.js';
import { InvalidToken, NotFound, ValidationFailed } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Verifier } from '../core/model.js';
import { normalizeName } from '../core/names.js';
import { iso, isoRequired } from '../core/time.js';
import { generateApiKey, parseApiKey, secretHint, verifierPrefix } from '../core/token-format.js';
import { digestSecret, memoryKey, sameDigest } from '../core/token-hash.js';
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
import { countFailedAuthentication, refuseThrottledClient } from './authentication.js';
import type { ServiceContext } from './context.js';
import { mapPage, pageOf, rowsToFetch, type Page, type PageRequest } from './pages.js';
import { noteRejectedUse } from './rejections.js';
import { verifyToken, type VerifyResult } from './verification.js';

/**
 * Verifier credentials: what a resource server presents to ask Keyward about tokens. They can
 * only verify and introspect; site admins create and revoke them.
 */
export function verifierView(verifier: Verifier): VerifierView {
  return {
    id: verifier.id,
    name: verifier.name,
    hint: verifier.hint,
    created_at: isoRequired(verifier.createdAt),
    last_used_at: iso(verifier.lastUsedAt),
    revoked_at: iso(verifier.revokedAt),
  };
}

export async function createVerifier(ctx: ServiceContext, caller: Caller, input: { name: string }): Promise<VerifierWithSecret> {
  requireSiteAdmin(caller);
  const name = normalizeName(input.name);
  const now = ctx.clock.now();
  const actor = actorOf(caller);
  const secret = generateApiKey(verifierPrefix(ctx.config.tokenPrefix));
  const verifier: Verifier = {
    id: newId('vrf', now),
    name,
    digest: digestSecret(ctx.pepper, secret),
    hint: secretHint(secret),
    createdBy: actor.id,
    createdAt: now,
    lastUsedAt: null,
    revokedAt: null,
  };
  await ctx.db.transaction().execute(async (trx) => {
    await insertVerifier(trx, verifier);
    await recordAudit(trx, actor, { orgId: null, action: 'verifier.created', target: { type: 'verifier', id: verifier.id }, details: { name } }, now);
  });
  return { verifier: verifierView(verifier), secret };
}

export async function listVerifiers(ctx: ServiceContext, caller: Caller, page: PageRequest): Promise<Page<VerifierView>> {
  requireSiteAdmin(caller);
  const verifiers = await listVerifierRows(ctx.db, { cursor: page.cursor, limit: rowsToFetch(page) });
  return mapPage(pageOf(verifiers, page, (v) => v.id), verifierView);
}

/** Revocation is immediate on this process and permanent; revoking twice changes nothing. */
export async function revokeVerifier(ctx: ServiceContext, caller: Caller, id: string): Promise<void> {
  requireSiteAdmin(caller);
  const verifier = await findVerifierById(ctx.db, id);
  if (!verifier) throw new NotFound('verifier');
  if (verifier.revokedAt !== null) return;
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    await revokeVerifierRow(trx, id, now);
    await recordAudit(trx, actorOf(caller), { orgId: null, action: 'verifier.revoked', target: { type: 'verifier', id }, details: { name: verifier.name } }, now);
  });
  ctx.invalidate.verifier(id);
}

/** Last-used times are written at most this often per verifier, off the request's path. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * The verifier a secret belongs to, or InvalidToken. Like the token verify path: a malformed
 * secret or a bad checksum is refused before any read, and a cached verifier awaits nothing.
 * `from.ip` is the address presenting it: a refusal counts against its failed-authentication
 * limit, and an address over that limit is refused (429) before the secret is looked at.
 * `from.expectedId` is for HTTP Basic, where the verifier id travels beside the secret.
 */
export async function authenticateVerifier(ctx: ServiceContext, secret: string, from: { ip: string | null; expectedId?: string }): Promise<Verifier> {
  refuseThrottledClient(ctx, from.ip);
  const refuse = (message = 'The verifier credential is not valid.'): never => {
    countFailedAuthentication(ctx, from.ip);
    throw new InvalidToken(message);
  };
  if (parseApiKey(secret, verifierPrefix(ctx.config.tokenPrefix)) === null) refuse();
  const key = memoryKey(secret);
  const now = ctx.clock.now();
  let entry = ctx.verifiers.get(key, now);
  if (!entry) {
    const digest = digestSecret(ctx.pepper, secret);
    const ticket = ctx.verifiers.ticket();
    const verifier = await findVerifierByDigest(ctx.db, digest);
    if (!verifier || !sameDigest(verifier.digest, digest)) return refuse();
    entry = ctx.verifiers.set(key, verifier, now, ticket);
  }
  const { verifier } = entry;
  if (verifier.revokedAt !== null) refuse('The verifier credential was revoked.');
  if (from.expectedId !== undefined && verifier.id !== from.expectedId) refuse();
  if (now - entry.touchedAt >= TOUCH_INTERVAL_MS) {
    entry.touchedAt = now;
    touchVerifier(ctx.db, verifier.id, now).catch((error: unknown) => ctx.log.error({ err: error }, 'could not record a verifier use'));
  }
  return verifier;
}

/**
 * A resource server asks whether a token is good for the given scopes. Failed uses of known
 * tokens are audited as coming from the client's address.
 */
export async function verifyPresentedToken(ctx: ServiceContext, question: VerifyRequest, meta: RequestMeta): Promise<VerifyResult> {
  if (question.ip !== undefined && isIP(question.ip) === 0) {
    throw new ValidationFailed('ip is not an IP address.', { field: 'ip' });
  }
  // Without an address, a token restricted to some addresses fails closed (IP_NOT_ALLOWED).
  const ip = question.ip ?? null;
  const result = await verifyToken(ctx, {
    secret: question.token,
    requiredScopes: question.scopes ?? [],
    ip,
    viaXApiKey: question.header === 'x-api-key',
    ...(question.cost !== undefined ? { cost: question.cost } : {}),
  });
  if (!result.valid && result.record) noteRejectedUse(ctx, result.record.token, result.code, { ...meta, ip });
  return result;
}
