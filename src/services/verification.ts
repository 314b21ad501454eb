import { ipAllowed } from '../core/ip-allowlist.js';
import type { Permission } from '../core/permissions.js';
import { canGrantScope, scopeAvailableTo, type ScopeDefinition } from '../core/scopes.js';
import { looksLikeJwt, parseApiKey } from '../core/token-format.js';
import { digestSecret, sameDigest } from '../core/token-hash.js';
import { tokenStatus } from '../core/token-status.js';
import { findUserById } from '../store/users.js';
import { findMembership, findOrgById, orgFromRow, type Org } from '../store/orgs.js';
import { findTokenByDigest } from '../store/tokens.js';
import type { TokenRow } from '../store/schema.js';
import { rolePermissions, standingIn } from './access.js';
import type { ServiceContext } from './context.js';
import type { TokenRecord } from './token-cache.js';
import { statusFieldsOf } from './token-view.js';

export type VerifyCode =
  | 'VALID'
  | 'MALFORMED'
  | 'NOT_FOUND'
  | 'EXPIRED'
  | 'REVOKED'
  | 'DISABLED'
  | 'INSUFFICIENT_SCOPE'
  | 'IP_NOT_ALLOWED'
  | 'RATE_LIMITED';

export type VerifyRequest = {
  secret: string;
  requiredScopes?: readonly string[];
  /** The address the token is being used from; checked against its allowlist. */
  ip?: string | null;
  /** Tokens presented in `X-API-Key` are refused where the org's policy says so. */
  viaXApiKey?: boolean;
  /** An operator's check (`keyward verify`) is not a use of the token: false leaves last-used alone. */
  recordUse?: boolean;
};

export type VerifyResult =
  | { valid: true; code: 'VALID'; record: TokenRecord; effectiveScopes: string[] }
  | {
      valid: false;
      code: Exclude<VerifyCode, 'VALID'>;
      record?: TokenRecord;
      effectiveScopes?: string[];
      missingScopes?: string[];
      reason: string;
    };

/**
 * The verify path: parse → checksum → digest → cache → store → checks. A malformed token or a
 * bad checksum is answered without touching the database; a cache hit awaits nothing.
 */
export async function verifyToken(ctx: ServiceContext, request: VerifyRequest): Promise<VerifyResult> {
  const { secret } = request;
  const now = ctx.clock.now();
  const isJwt = looksLikeJwt(secret);
  if (!isJwt && parseApiKey(secret, ctx.config.tokenPrefix) === null) {
    return { valid: false, code: 'MALFORMED', reason: 'The token is not well formed.' };
  }
  const digest = digestSecret(ctx.pepper, secret);
  let record = ctx.cache.get(digest, now);
  if (!record) {
    // A forged JWT stops at its signature, before any read.
    if (isJwt && (await ctx.jwtKeys.verify(secret)) === null) {
      return { valid: false, code: 'MALFORMED', reason: 'The token is not well formed.' };
    }
    const loaded = await loadTokenRecord(ctx, digest, now);
    if (!loaded) return { valid: false, code: 'NOT_FOUND', reason: 'The token is unknown.' };
    record = loaded;
    ctx.cache.set(digest, record);
  }
  return checkRecord(ctx, record, request, now);
}

function checkRecord(ctx: ServiceContext, record: TokenRecord, request: VerifyRequest, now: number): VerifyResult {
  const { row } = record;
  const status = tokenStatus(statusFieldsOf(row), now);
  if (status === 'revoked') return { valid: false, code: 'REVOKED', record, reason: 'The token was revoked.' };
  if (status === 'expired') return { valid: false, code: 'EXPIRED', record, reason: 'The token expired.' };
  if (status === 'disabled') return { valid: false, code: 'DISABLED', record, reason: 'The token is disabled.' };
  if (!record.ownerActive) return { valid: false, code: 'DISABLED', record, reason: "The token's owner is not active." };
  if (!record.creatorMayImpersonate) {
    return { valid: false, code: 'DISABLED', record, reason: 'The creator of this impersonation token may no longer impersonate.' };
  }
  // DISABLED, not MALFORMED: the token is well formed and known, but the org has switched off
  // this way of presenting it (MALFORMED promises a bad token, answered before any read). The
  // management API answers 401 invalid_token either way; the reason says what to change.
  if (request.viaXApiKey && !record.policy.accept_x_api_key) {
    return {
      valid: false,
      code: 'DISABLED',
      record,
      reason: 'This organization does not accept tokens in the X-API-Key header; send it as Authorization: Bearer.',
    };
  }
  if (request.ip !== undefined && !ipAllowed(record.ipAllowlist, request.ip ?? '')) {
    return { valid: false, code: 'IP_NOT_ALLOWED', record, reason: 'The token may not be used from this address.' };
  }
  const effectiveScopes = cachedEffectiveScopes(record, ctx.config.scopes);
  const missingScopes = (request.requiredScopes ?? []).filter((s) => !effectiveScopes.includes(s));
  if (missingScopes.length > 0) {
    return {
      valid: false,
      code: 'INSUFFICIENT_SCOPE',
      record,
      effectiveScopes,
      missingScopes,
      reason: `The token lacks the scope ${missingScopes.join(' ')}.`,
    };
  }
  if (request.recordUse !== false) ctx.usage.record(row.id, now, request.ip ?? null);
  return { valid: true, code: 'VALID', record, effectiveScopes };
}

/**
 * A token's power is its scopes ∩ its owner's current power (∩ its creator's, for an impersonation
 * token): product scopes the org may still use, management scopes those permissions still back.
 */
export function effectiveScopesOf(record: TokenRecord, catalog: readonly ScopeDefinition[]): string[] {
  const org = { plan: record.orgPlan, features: record.orgFeatures };
  const { ownerPermissions: owner, creatorPermissions: creator } = record;
  const backing = creator === null ? owner : new Set([...owner].filter((p) => creator.has(p)));
  return record.scopes.filter((scope) => {
    if (scope.startsWith('keyward:')) return canGrantScope(scope, backing);
    const definition = catalog.find((d) => d.name === scope);
    return definition !== undefined && scopeAvailableTo(definition, org);
  });
}

// Effective scopes are a function of the record's fields, which never change once it is loaded
// (a change reloads it): work them out once per record, not on every verify.
const effectiveScopesByRecord = new WeakMap<TokenRecord, { catalog: readonly ScopeDefinition[]; scopes: string[] }>();

/** `effectiveScopesOf`, remembered per record; frozen, since every verify of the record shares it. */
function cachedEffectiveScopes(record: TokenRecord, catalog: readonly ScopeDefinition[]): string[] {
  const known = effectiveScopesByRecord.get(record);
  if (known?.catalog === catalog) return known.scopes;
  const scopes = Object.freeze(effectiveScopesOf(record, catalog)) as string[];
  effectiveScopesByRecord.set(record, { catalog, scopes });
  return scopes;
}

async function loadTokenRecord(ctx: ServiceContext, digest: string, now: number): Promise<TokenRecord | null> {
  const row = await findTokenByDigest(ctx.db, digest);
  if (!row || !sameDigest(row.digest, digest)) return null;
  return buildRecord(ctx, row, now);
}

/** Loads the owner and org facts a token record carries. */
export async function buildRecord(ctx: ServiceContext, row: TokenRow, now: number): Promise<TokenRecord> {
  const [owner, orgRow, membership] = await Promise.all([
    findUserById(ctx.db, row.owner_id),
    findOrgById(ctx.db, row.org_id),
    findMembership(ctx.db, row.org_id, row.owner_id),
  ]);
  const org = orgRow ? orgFromRow(orgRow) : null;
  let permissions: Permission[] = [];
  if (org && membership) permissions = await rolePermissions(ctx.db, org, membership.role);
  const creatorPermissions = row.impersonation === 1 && org ? await creatorPermissionsOf(ctx, org, row.created_by) : null;
  return {
    row,
    scopes: JSON.parse(row.scopes) as string[],
    ipAllowlist: JSON.parse(row.ip_allowlist) as string[],
    ownerActive: owner?.status === 'active' && membership !== undefined,
    ownerType: owner?.type ?? 'user',
    ownerPermissions: new Set(permissions),
    creatorPermissions,
    creatorMayImpersonate: row.impersonation === 0 || creatorPermissions?.has('tokens.impersonate') === true,
    orgPlan: org?.plan ?? '',
    orgFeatures: org?.features ?? [],
    policy: org!.tokenPolicy,
    loadedAt: now,
  };
}

/** What an impersonation token's creator may do in the org now; nothing once they are gone. */
async function creatorPermissionsOf(ctx: ServiceContext, org: Org, creatorId: string): Promise<ReadonlySet<Permission>> {
  const creator = await findUserById(ctx.db, creatorId);
  const standing = creator ? await standingIn(ctx.db, org, creator) : null;
  return standing?.permissions ?? new Set();
}
