import type { Config } from '../config.js';
import type { VerifyAnswer } from '../contract/index.js';
import { compileAllowlist } from '../core/ip-allowlist.js';
import type { Org, Token, User } from '../core/model.js';
import type { Permission } from '../core/permissions.js';
import { canGrantScope, scopeAvailableTo, type ScopeDefinition } from '../core/scopes.js';
import { iso } from '../core/time.js';
import { isApiKey, looksLikeJwt } from '../core/token-format.js';
import { digestSecret, memoryKey, sameDigest } from '../core/token-hash.js';
import { effectiveEnd, tokenStatus } from '../core/token-status.js';
import { hasUsageControls, limitSubject, type LimitSubject } from '../core/usage-limits.js';
import { describesToken, type VerifyCode } from '../core/verify-codes.js';
import { findMembership, findOrgById } from '../store/orgs.js';
import { findTokenByDigest } from '../store/tokens.js';
import { findUserById } from '../store/users.js';
import { rolePermissions, standingIn } from './access.js';
import type { ServiceContext } from './context.js';
import { throttleReason, type Admission } from './limits/counters.js';
import { UNKNOWN_TOKEN, type TokenRecord } from './token-cache.js';
import { tokensEnabled } from './tokens/rules.js';

export type VerifyRequest = {
  secret: string;
  requiredScopes?: readonly string[];
  /** The address the token is being used from; checked against its allowlist. */
  ip?: string | null;
  /** Tokens presented in `X-API-Key` are refused where the org's policy says so. */
  viaXApiKey?: boolean;
  /** An operator's check (`keyward verify`) is not a use of the token: false leaves last-used (and the limits) alone. */
  recordUse?: boolean;
  /** What this use costs against the token's rate limits and credits (default 1). */
  cost?: number;
  /** False describes the token without spending or enforcing its limits (introspection). */
  enforceLimits?: boolean;
};

export type VerifyResult =
  | { valid: true; code: 'VALID'; record: TokenRecord; usage?: Admission }
  | {
      valid: false;
      code: Exclude<VerifyCode, 'VALID'>;
      record?: TokenRecord;
      missingScopes?: string[];
      /** The counters' verdict, for RATE_LIMITED and USAGE_EXCEEDED. */
      usage?: Admission;
      reason: string;
    };

const MALFORMED: VerifyResult = { valid: false, code: 'MALFORMED', reason: 'The token is not well formed.' };
const UNKNOWN: VerifyResult = { valid: false, code: 'NOT_FOUND', reason: 'The token is unknown.' };

/**
 * The verify path: parse → checksum → memory key → cache → digest → store → checks. A malformed
 * token or a bad checksum is answered without touching the database; a cache hit (of a record, or
 * of a secret known to be unknown) awaits nothing and computes no HMAC.
 */
export function verifyToken(ctx: ServiceContext, request: VerifyRequest): VerifyResult | Promise<VerifyResult> {
  const { secret } = request;
  const now = ctx.clock.now();
  const isJwt = !isApiKey(secret, ctx.config.tokenPrefix);
  if (isJwt && !looksLikeJwt(secret)) return counted(ctx, request, now, MALFORMED);
  const key = memoryKey(secret);
  const record = ctx.tokens.get(key, now);
  if (record === UNKNOWN_TOKEN) {
    ctx.metrics.cacheLookup('unknown');
    return counted(ctx, request, now, UNKNOWN);
  }
  // Answered without a promise of its own when cached: callers await either.
  if (record) {
    ctx.metrics.cacheLookup('hit');
    return counted(ctx, request, now, checkRecord(ctx, record, request, now));
  }
  ctx.metrics.cacheLookup('miss');
  return verifyFromStore(ctx, request, key, isJwt, now).then((result) => counted(ctx, request, now, result));
}

/**
 * Every verify result passes here once: the metrics, and the usage analytics of a known token. An
 * operator's check (`recordUse: false`: `keyward verify`, an RFC 7009 revocation's lookup, a
 * forward-auth request the route table refuses) is no use of the token, so it is not counted.
 */
function counted(ctx: ServiceContext, request: VerifyRequest, now: number, result: VerifyResult | Promise<VerifyResult>): VerifyResult | Promise<VerifyResult> {
  if (result instanceof Promise) return result.then((settled) => counted(ctx, request, now, settled));
  ctx.metrics.verified(result.code);
  if (result.record !== undefined && request.recordUse !== false) ctx.usage.count(result.record.token, result.code, now);
  return result;
}

async function verifyFromStore(ctx: ServiceContext, request: VerifyRequest, key: string, isJwt: boolean, now: number): Promise<VerifyResult> {
  const { secret } = request;
  // A forged JWT stops at its signature, before any read.
  if (isJwt && (await ctx.jwtKeys.verify(secret)) === null) return MALFORMED;
  const digest = digestSecret(ctx.pepper, secret);
  const ticket = ctx.tokens.ticket();
  const loaded = await loadTokenRecord(ctx, digest, now);
  if (!loaded) {
    ctx.tokens.setUnknown(key, digest, ticket, now);
    return UNKNOWN;
  }
  ctx.tokens.set(key, loaded, ticket);
  return checkRecord(ctx, loaded, request, now);
}

function refusal(record: TokenRecord, code: Exclude<VerifyCode, 'VALID'>, reason: string): VerifyResult {
  return { valid: false, code, record, reason };
}

function checkRecord(ctx: ServiceContext, record: TokenRecord, request: VerifyRequest, now: number): VerifyResult | Promise<VerifyResult> {
  const { token } = record;
  const status = tokenStatus(token, now);
  if (status === 'revoked') return refusal(record, 'REVOKED', 'The token was revoked.');
  if (status === 'expired') return refusal(record, 'EXPIRED', 'The token expired.');
  if (status === 'disabled') return refusal(record, 'DISABLED', 'The token is disabled.');
  if (record.blocked !== null) return refusal(record, 'DISABLED', record.blocked);
  // DISABLED, not MALFORMED: the token is well formed and known, but the org has switched off
  // this way of presenting it (MALFORMED promises a bad token, answered before any read). The
  // management API answers 401 invalid_token either way; the reason says what to change.
  if (request.viaXApiKey && !record.acceptsXApiKey) {
    return refusal(record, 'DISABLED', 'This organization does not accept tokens in the X-API-Key header; send it as Authorization: Bearer.');
  }
  if (request.ip !== undefined && !record.allowsAddress(request.ip ?? '')) {
    return refusal(record, 'IP_NOT_ALLOWED', 'The token may not be used from this address.');
  }
  const required = request.requiredScopes ?? [];
  const missingScopes = required.length === 0 ? required : required.filter((s) => !record.effectiveScopes.includes(s));
  if (missingScopes.length > 0) {
    return { valid: false, code: 'INSUFFICIENT_SCOPE', record, missingScopes: [...missingScopes], reason: `The token lacks the scope ${missingScopes.join(' ')}.` };
  }
  if (!record.limited || request.recordUse === false || request.enforceLimits === false) return used(ctx, record, request, now);
  const admission = ctx.counters.admit(subjectOf(record, now), request.cost ?? 1, now);
  return admission instanceof Promise ? admission.then((a) => admitted(ctx, record, request, now, a)) : admitted(ctx, record, request, now, admission);
}

/** The record's counter subject, anew only when a refill period began (its seed changes then). */
function subjectOf(record: TokenRecord, now: number): LimitSubject {
  if (record.subject && now < record.subject.until) return record.subject.value;
  const value = limitSubject(record.token, now);
  record.subject = { value, until: value.credits?.refillAt ?? Infinity };
  return value;
}

function used(ctx: ServiceContext, record: TokenRecord, request: VerifyRequest, now: number, usage?: Admission): VerifyResult {
  if (request.recordUse !== false) ctx.usage.record(record.token.id, now, request.ip ?? null);
  return usage ? { valid: true, code: 'VALID', record, usage } : { valid: true, code: 'VALID', record };
}

function admitted(ctx: ServiceContext, record: TokenRecord, request: VerifyRequest, now: number, usage: Admission): VerifyResult {
  if (usage.code === 'VALID') return used(ctx, record, request, now, usage);
  return { valid: false, code: usage.code, record, usage, reason: throttleReason(usage) };
}

/**
 * The one answer about a verified token, for `POST /api/v1/verify` and `keyward verify`: the
 * token's facts only while it is in force (valid, or valid but short of a scope), so a resource
 * server learns nothing about tokens that no longer work.
 */
export function verifyAnswer(result: VerifyResult): VerifyAnswer {
  if (!describesToken(result.code) || !result.record) return { valid: result.valid, code: result.code };
  const usage = result.usage ? usageAnswer(result.usage) : {};
  if (result.valid) return { valid: true, code: 'VALID', token: result.record.verified, ...usage };
  if (result.code === 'INSUFFICIENT_SCOPE') return { valid: false, code: result.code, token: result.record.verified, missing_scopes: result.missingScopes ?? [] };
  return { valid: false, code: result.code, token: result.record.verified, ...usage };
}

/** A limited token's counters, for the resource server's RateLimit headers (and not to cache its answer). */
function usageAnswer(usage: Admission): Pick<VerifyAnswer, 'rate_limits' | 'usage_remaining' | 'retry_after_seconds'> {
  return {
    rate_limits: usage.rateLimits,
    ...(usage.remaining !== null ? { usage_remaining: Math.max(0, usage.remaining) } : {}),
    ...(usage.code !== 'VALID' && usage.retryAfterSeconds !== null ? { retry_after_seconds: usage.retryAfterSeconds } : {}),
  };
}

async function loadTokenRecord(ctx: ServiceContext, digest: string, now: number): Promise<TokenRecord | null> {
  const token = await findTokenByDigest(ctx.db, digest);
  if (!token || !sameDigest(token.digest, digest)) return null;
  return buildRecord(ctx, token, now);
}

type Facts = {
  org: Org;
  owner: User | undefined;
  ownerActive: boolean;
  ownerType: TokenRecord['ownerType'];
  ownerPermissions: ReadonlySet<Permission>;
  /** For an impersonation token, its creator's current permissions in the org; null for others. */
  creatorPermissions: ReadonlySet<Permission> | null;
};

/**
 * Loads what a token's power hangs on, and works out once what every verify of it asks. A token
 * whose org is gone is as unknown as one never issued.
 */
async function buildRecord(ctx: ServiceContext, token: Token, now: number): Promise<TokenRecord | null> {
  const facts = await loadFacts(ctx, token);
  if (!facts) return null;
  const effectiveScopes = Object.freeze(effectiveScopesOf(token, facts, ctx.config.scopes));
  return {
    token,
    owner: facts.owner,
    ownerType: facts.ownerType,
    blocked: blockedBy(token, facts, ctx.config),
    acceptsXApiKey: facts.org.tokenPolicy.accept_x_api_key,
    allowsAddress: compileAllowlist(token.ipAllowlist),
    effectiveScopes,
    limited: hasUsageControls(token),
    verified: Object.freeze({
      id: token.id,
      org_id: token.orgId,
      owner: { type: facts.ownerType, id: token.ownerId },
      scopes: effectiveScopes as string[],
      kind: token.kind,
      // A rotated-away token in its grace period ends when the grace ends.
      expires_at: iso(effectiveEnd(token)),
      impersonation: token.impersonation,
      created_by: { id: token.createdBy },
      limited: hasUsageControls(token),
    }),
    loadedAt: now,
  };
}

async function loadFacts(ctx: ServiceContext, token: Token): Promise<Facts | null> {
  const [owner, org, membership] = await Promise.all([
    findUserById(ctx.db, token.ownerId),
    findOrgById(ctx.db, token.orgId),
    findMembership(ctx.db, token.orgId, token.ownerId),
  ]);
  if (!org) return null;
  const ownerPermissions = new Set(membership ? await rolePermissions(ctx.db, org, membership.role) : []);
  const creatorPermissions = token.impersonation ? await creatorPermissionsOf(ctx, org, token.createdBy) : null;
  return {
    org,
    owner,
    ownerActive: owner?.status === 'active' && membership !== undefined,
    ownerType: owner?.type ?? 'user',
    ownerPermissions,
    creatorPermissions,
  };
}

function blockedBy(token: Token, facts: Facts, config: Config): string | null {
  if (!facts.ownerActive) return "The token's owner is not active.";
  if (token.impersonation && !facts.creatorPermissions?.has('tokens.impersonate')) {
    return 'The creator of this impersonation token may no longer impersonate.';
  }
  // Nothing is written to the tokens: moving the org back to a plan with tokens restores them.
  // A plan change drops the org's records (`ctx.invalidate.org`), so this is asked afresh.
  if (!tokensEnabled(config, facts.org)) return `The organization's ${facts.org.plan} plan does not include API tokens.`;
  return null;
}

/**
 * A token's power is its scopes ∩ its owner's current power (∩ its creator's, for an impersonation
 * token): product scopes the org may still use, management scopes those permissions still back.
 */
function effectiveScopesOf(token: Token, facts: Facts, catalog: readonly ScopeDefinition[]): string[] {
  const { org, ownerPermissions: owner, creatorPermissions: creator } = facts;
  const backing = creator === null ? owner : new Set([...owner].filter((p) => creator.has(p)));
  return token.scopes.filter((scope) => {
    if (scope.startsWith('keyward:')) return canGrantScope(scope, backing);
    const definition = catalog.find((d) => d.name === scope);
    return definition !== undefined && scopeAvailableTo(definition, org);
  });
}

/** What an impersonation token's creator may do in the org now; nothing once they are gone. */
async function creatorPermissionsOf(ctx: ServiceContext, org: Org, creatorId: string): Promise<ReadonlySet<Permission>> {
  const creator = await findUserById(ctx.db, creatorId);
  const standing = creator ? await standingIn(ctx.db, org, creator) : null;
  return standing?.permissions ?? new Set();
}
