import { iso } from '../core/time.js';
import { createHash } from 'node:crypto';
import { Conflict, Forbidden, NotFound, PolicyViolation } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { parseAllowlist } from '../core/ip-allowlist.js';
import { normalizeDescription, normalizeName } from '../core/names.js';
import { managementScopeFor } from '../core/permissions.js';
import { DAY_MS, resolveExpiration, type TokenKind, type TokenPolicy } from '../core/policy.js';
import { canGrantScope, scopesForOrg } from '../core/scopes.js';
import { generateApiKey, secretHint } from '../core/token-format.js';
import { digestSecret } from '../core/token-hash.js';
import { tokenStatus, type TokenStatus } from '../core/token-status.js';
import type { Executor } from '../store/db.js';
import { findMembership, type Org } from '../store/orgs.js';
import type { TokenRow, TokenUpdate, UserRow } from '../store/schema.js';
import {
  countActiveTokens,
  findTokenById,
  insertToken,
  listTokens as selectTokens,
  ownerTypes,
  updateToken,
  type TokenStatusFilter,
} from '../store/tokens.js';
import { findUserById } from '../store/users.js';
import {
  hasPermission,
  isSiteAdmin,
  orgAccess,
  requirePermission,
  requireScope,
  rolePermissions,
  type Caller,
  type OrgAccess,
} from './access.js';
import { actorOf, recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';
import { pageOf, type PageRequest } from './pages.js';
import { statusFieldsOf, toTokenView, type TokenView } from './token-view.js';

/** What a client asks for when it creates a token (for itself, a service account or a member). */
export type TokenRequest = {
  name: string;
  description?: string | null | undefined;
  scopes: string[];
  expiresInDays?: number | undefined;
  expiresAt?: string | undefined;
  kind?: TokenKind | undefined;
  ipAllowlist?: string[] | undefined;
};

/** A freshly minted token: its view and its secret, which is shown this once and never stored. */
export type IssuedToken = { token: TokenView; secret: string };

/** Expired and revoked tokens stay listed this long after they ended. */
export const RETENTION_DAYS = 90;

/** `POST /orgs/{org}/tokens`: a token for the caller, or for a service account (`tokens.manage`). */
export async function createToken(
  ctx: ServiceContext,
  caller: Caller,
  orgId: string,
  request: TokenRequest & { ownerId?: string | undefined },
): Promise<IssuedToken> {
  const access = await orgAccess(ctx.db, caller, orgId);
  assertMayMint(caller);
  const ownerId = request.ownerId ?? caller.user.id;
  const forServiceAccount = ownerId !== caller.user.id;
  requirePermission(access, forServiceAccount ? 'tokens.manage' : 'tokens.create', 'write');
  // A site admin acting from outside is no member, and a non-member's token could never verify.
  if (!forServiceAccount && access.role === null) throw new Forbidden('Only members of the organization own its tokens.');
  const owner = forServiceAccount ? await activeMember(ctx.db, access.org, ownerId, 'service_account') : caller.user;
  return mint(ctx, access, request, owner, false);
}

/** `POST /orgs/{org}/members/{user}/tokens`: an impersonation token on behalf of a member. */
export async function createImpersonationToken(
  ctx: ServiceContext,
  caller: Caller,
  orgId: string,
  userId: string,
  request: TokenRequest,
): Promise<IssuedToken> {
  const access = await orgAccess(ctx.db, caller, orgId);
  assertMayMint(caller);
  requirePermission(access, 'tokens.impersonate', 'write');
  const owner = await impersonationTarget(ctx.db, access, userId);
  return mint(ctx, access, request, owner, true);
}

/**
 * The member the caller may impersonate now: an active member other than themselves, whose power
 * does not go beyond the caller's (an admin cannot become the owner), and a site admin only for
 * another site admin. Creating and rotating an impersonation token both ask this.
 */
export async function impersonationTarget(db: Executor, access: OrgAccess, userId: string): Promise<UserRow> {
  const { org, caller } = access;
  if (userId === caller.user.id) {
    throw new PolicyViolation('validation_failed', 'Create your own tokens directly instead of impersonating yourself.', { field: 'user' });
  }
  const owner = await activeMember(db, org, userId, 'user');
  const membership = (await findMembership(db, org.id, owner.id))!;
  const beyond = (await rolePermissions(db, org, membership.role)).filter((p) => !hasPermission(access, p));
  if (beyond.length > 0) {
    throw new Forbidden(`This member holds permissions you do not: ${beyond.join(', ')}; you cannot impersonate them.`);
  }
  if (owner.site_admin === 1 && !isSiteAdmin(caller)) throw new Forbidden('Only a site admin may impersonate a site admin.');
  return owner;
}

async function mint(
  ctx: ServiceContext,
  access: OrgAccess,
  request: TokenRequest,
  owner: UserRow,
  impersonation: boolean,
): Promise<IssuedToken> {
  const { org, caller } = access;
  const policy = org.tokenPolicy;
  assertTokensEnabled(ctx, org);
  const name = normalizeName(request.name);
  const description = normalizeDescription(request.description);
  const kind = request.kind ?? 'api_key';
  assertKindAllowed(policy, kind);
  checkScopes(ctx, access, request.scopes);
  const ipAllowlist = parseAllowlist(request.ipAllowlist ?? []);
  const now = ctx.clock.now();
  const expiresAt = resolveExpiration({ expiresInDays: request.expiresInDays, expiresAt: request.expiresAt }, policy, now);
  const issued = await ctx.db.transaction().execute(async (trx) => {
    // Impersonation tokens are the admin's doing, not the member's: they do not use up the member's cap.
    if (!impersonation) await assertUnderCap(trx, org, owner.id, now);
    const issued = await issueToken(
      ctx,
      trx,
      {
        orgId: org.id,
        ownerId: owner.id,
        createdBy: caller.user.id,
        impersonation,
        name,
        description,
        scopes: request.scopes,
        kind,
        ipAllowlist,
        expiresAt,
        rotatedFrom: null,
      },
      now,
    );
    await recordAudit(
      trx,
      actorOf(caller),
      {
        orgId: org.id,
        action: 'token.created',
        target: { type: 'token', id: issued.row.id },
        details: {
          name,
          scopes: request.scopes,
          kind,
          expires_at: iso(expiresAt),
          hashed_token: hashedToken(issued.secret),
          ...(owner.id !== caller.user.id ? { owner_id: owner.id } : {}),
          ...(impersonation ? { impersonation: true } : {}),
        },
      },
      now,
    );
    return issued;
  });
  return { token: viewOf(ctx, org, issued.row, owner.type, now), secret: issued.secret };
}

/** Everything a new token row needs besides what `issueToken` generates. */
export type TokenSpec = {
  orgId: string;
  ownerId: string;
  createdBy: string;
  impersonation: boolean;
  name: string;
  description: string | null;
  scopes: string[];
  kind: TokenKind;
  ipAllowlist: string[];
  expiresAt: number | null;
  rotatedFrom: string | null;
};

/** Generates the secret (an API key or a signed JWT) and stores the token with only its digest. */
export async function issueToken(
  ctx: ServiceContext,
  db: Executor,
  spec: TokenSpec,
  nowMs: number,
): Promise<{ row: TokenRow; secret: string }> {
  const id = newId('tok', nowMs);
  const secret =
    spec.kind === 'jwt'
      ? await ctx.jwtKeys.sign({
          sub: spec.ownerId,
          org: spec.orgId,
          scope: spec.scopes.join(' '),
          jti: id,
          iat: Math.floor(nowMs / 1000),
          ...(spec.expiresAt !== null ? { exp: Math.floor(spec.expiresAt / 1000) } : {}),
          // RFC 8693: the admin who acts on the member's behalf.
          ...(spec.impersonation ? { act: { sub: spec.createdBy } } : {}),
        })
      : generateApiKey(ctx.config.tokenPrefix);
  const row: TokenRow = {
    id,
    org_id: spec.orgId,
    owner_id: spec.ownerId,
    created_by: spec.createdBy,
    impersonation: spec.impersonation ? 1 : 0,
    name: spec.name,
    description: spec.description,
    kind: spec.kind,
    scopes: JSON.stringify(spec.scopes),
    digest: digestSecret(ctx.pepper, secret),
    hint: secretHint(secret),
    ip_allowlist: JSON.stringify(spec.ipAllowlist),
    created_at: nowMs,
    expires_at: spec.expiresAt,
    last_used_at: null,
    last_used_ip: null,
    revoked_at: null,
    revoked_reason: null,
    disabled_at: null,
    disabled_reason: null,
    rotated_from: spec.rotatedFrom,
    replaced_by: null,
    expiring_notified_at: null,
    expired_notified_at: null,
  };
  await insertToken(db, row);
  return { row, secret };
}

/** The SHA-256 of a secret (GitHub's `hashed_token`): lets an audit trail be matched to a leak. */
export function hashedToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Impersonation tokens act for someone else; letting them mint would launder that. */
export function assertMayMint(caller: Caller): void {
  if (caller.token?.impersonation) throw new Forbidden('An impersonation token cannot create or rotate tokens.');
}

export function assertTokensEnabled(ctx: ServiceContext, org: Org): void {
  if (ctx.config.plansWithoutTokens.includes(org.plan)) {
    throw new PolicyViolation('feature_not_enabled', `The ${org.plan} plan does not include API tokens.`);
  }
}

export function assertKindAllowed(policy: TokenPolicy, kind: TokenKind): void {
  if (!policy.allowed_kinds.includes(kind)) {
    throw new PolicyViolation('validation_failed', `This organization does not allow ${kind} tokens.`, {
      field: 'kind',
      allowed_kinds: policy.allowed_kinds,
    });
  }
}

async function assertUnderCap(db: Executor, org: Org, ownerId: string, nowMs: number): Promise<void> {
  const max = org.tokenPolicy.max_tokens_per_user;
  if ((await countActiveTokens(db, org.id, ownerId, nowMs)) >= max) {
    throw new PolicyViolation('token_limit_reached', `At most ${max} active tokens per user are allowed.`, {
      max_tokens_per_user: max,
    });
  }
}

/**
 * Each scope must be in the org's catalog and within the creator's power; a token caller may only
 * hand on scopes it holds itself, so a token can never mint a stronger one.
 */
export function checkScopes(ctx: ServiceContext, access: OrgAccess, scopes: readonly string[]): void {
  const available = new Set(scopesForOrg(ctx.config.scopes, access.org).map((s) => s.name));
  const refusal = (scope: string): string | null => {
    if (!available.has(scope)) return `The scope ${scope} is not available to this organization.`;
    if (!canGrantScope(scope, access.permissions)) return `You may not grant the scope ${scope}.`;
    const callerToken = access.caller.token;
    if (callerToken && !callerToken.scopes.has(scope)) return `A token may only grant scopes it holds; it lacks ${scope}.`;
    return null;
  };
  for (const scope of scopes) {
    const reason = refusal(scope);
    if (reason) throw new PolicyViolation('scope_not_allowed', reason, { field: 'scopes', scope });
  }
}

/** A member of the org of the given type, active; anything else is "no such" so nothing leaks. */
export async function activeMember(db: Executor, org: Org, userId: string, type: UserRow['type']): Promise<UserRow> {
  const what = type === 'user' ? 'member' : 'service account';
  const user = await findUserById(db, userId);
  const membership = user ? await findMembership(db, org.id, userId) : undefined;
  if (!user || !membership || user.type !== type || (type === 'service_account' && user.org_id !== org.id)) {
    throw new NotFound(what);
  }
  if (user.status !== 'active') throw new PolicyViolation('validation_failed', `The ${what} is deactivated.`, { field: 'owner' });
  return user;
}

export type TokenListRequest = PageRequest & {
  /** `me`, `all` or a user id. */
  owner: string;
  status?: TokenStatusFilter | undefined;
  kind?: TokenKind | undefined;
  q?: string | undefined;
  expiring?: boolean | undefined;
};

export type TokenPage = { data: TokenView[]; nextCursor: string | null };

/**
 * `GET /orgs/{org}/tokens`. Own tokens for everyone; others' for `tokens.manage`; impersonation
 * tokens only for `tokens.impersonate` — never for the member they impersonate.
 */
export async function listTokens(ctx: ServiceContext, caller: Caller, orgId: string, request: TokenListRequest): Promise<TokenPage> {
  const access = await orgAccess(ctx.db, caller, orgId);
  requireScope(caller, managementScopeFor('tokens.own', 'read'));
  const own = request.owner === 'me' || request.owner === caller.user.id;
  const manage = hasPermission(access, 'tokens.manage');
  const impersonate = hasPermission(access, 'tokens.impersonate');
  if (!own && !manage && !impersonate) throw new Forbidden("Listing other members' tokens needs the tokens.manage permission.");
  const now = ctx.clock.now();
  const rows = await selectTokens(ctx.db, {
    orgId,
    ownerId: own ? caller.user.id : request.owner === 'all' ? undefined : request.owner,
    hideImpersonation: !impersonate,
    onlyImpersonation: !own && !manage,
    status: request.status,
    kind: request.kind,
    q: request.q,
    endingBefore: request.expiring ? now + access.org.tokenPolicy.warning_window_days * DAY_MS : undefined,
    cursor: request.cursor,
    limit: request.limit + 1,
    nowMs: now,
    retainSince: now - RETENTION_DAYS * DAY_MS,
  });
  const page = pageOf(rows, request.limit, (row) => row.id);
  return { data: await viewsOf(ctx, access.org, page.items, now), nextCursor: page.nextCursor };
}

export async function getToken(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string): Promise<TokenView> {
  const access = await orgAccess(ctx.db, caller, orgId);
  requireScope(caller, managementScopeFor('tokens.own', 'read'));
  const row = await actionableToken(ctx.db, access, tokenId);
  return (await viewsOf(ctx, access.org, [row], ctx.clock.now()))[0]!;
}

/**
 * A token the caller may see and act on: their own, any non-impersonation token with
 * `tokens.manage`, impersonation tokens only with `tokens.impersonate`. Anything else is 404.
 */
export async function actionableToken(db: Executor, access: OrgAccess, tokenId: string): Promise<TokenRow> {
  const row = await findTokenById(db, access.org.id, tokenId);
  if (!row) throw new NotFound('token');
  const visible =
    row.impersonation === 1
      ? hasPermission(access, 'tokens.impersonate')
      : row.owner_id === access.caller.user.id || hasPermission(access, 'tokens.manage');
  if (!visible) throw new NotFound('token');
  return row;
}

export function statusOf(row: TokenRow, nowMs: number): TokenStatus {
  return tokenStatus(statusFieldsOf(row), nowMs);
}

/**
 * Whether the caller manages this token as more than its owner: `tokens.manage` for ordinary
 * tokens, `tokens.impersonate` for impersonation tokens.
 */
function managesToken(access: OrgAccess, row: TokenRow): boolean {
  return hasPermission(access, row.impersonation === 1 ? 'tokens.impersonate' : 'tokens.manage');
}

function viewOf(ctx: ServiceContext, org: Org, row: TokenRow, ownerType: UserRow['type'], nowMs: number): TokenView {
  return toTokenView(row, {
    nowMs,
    warningWindowDays: org.tokenPolicy.warning_window_days,
    ownerType,
    // Usage not yet flushed keeps last_used fresh.
    pendingUsage: ctx.usage.peek(row.id),
  });
}

export async function viewsOf(ctx: ServiceContext, org: Org, rows: readonly TokenRow[], nowMs: number): Promise<TokenView[]> {
  const types = await ownerTypes(ctx.db, rows.map((r) => r.owner_id));
  return rows.map((row) => viewOf(ctx, org, row, types.get(row.owner_id) ?? 'user', nowMs));
}

type TokenChange = { update: TokenUpdate; action: string; details: Record<string, unknown> };
type ChangeInput = { row: TokenRow; access: OrgAccess; trx: Executor; nowMs: number };

/**
 * The shape every state change shares: access, the write scope, the token loaded inside the
 * transaction, the change and its audit event together, then the cache. `decide` returns null
 * when there is nothing to do (revoking a revoked token), which answers with the token unchanged.
 */
async function changeToken(
  ctx: ServiceContext,
  caller: Caller,
  orgId: string,
  tokenId: string,
  decide: (input: ChangeInput) => TokenChange | null | Promise<TokenChange | null>,
): Promise<TokenView> {
  const access = await orgAccess(ctx.db, caller, orgId);
  requireScope(caller, managementScopeFor('tokens.own', 'write'));
  const now = ctx.clock.now();
  const row = await ctx.db.transaction().execute(async (trx) => {
    const current = await actionableToken(trx, access, tokenId);
    const change = await decide({ row: current, access, trx, nowMs: now });
    if (!change) return current;
    await updateToken(trx, current.id, change.update);
    await recordAudit(
      trx,
      actorOf(caller),
      { orgId, action: change.action, target: { type: 'token', id: current.id }, details: change.details },
      now,
    );
    return (await findTokenById(trx, orgId, current.id))!;
  });
  ctx.cache.invalidateToken(tokenId);
  return (await viewsOf(ctx, access.org, [row], now))[0]!;
}

/** Name and description are the only mutable fields; scopes, owner and expiry need a rotation. */
export function renameToken(
  ctx: ServiceContext,
  caller: Caller,
  orgId: string,
  tokenId: string,
  change: { name?: string | undefined; description?: string | null | undefined },
): Promise<TokenView> {
  return changeToken(ctx, caller, orgId, tokenId, ({ row }) => {
    const name = change.name === undefined ? row.name : normalizeName(change.name);
    const description = change.description === undefined ? row.description : normalizeDescription(change.description);
    if (name === row.name && description === row.description) return null;
    return {
      update: { name, description },
      action: 'token.renamed',
      details: { name, previous_name: row.name, description_changed: description !== row.description },
    };
  });
}

/** Immediate and permanent; revoking a revoked token changes nothing. */
export function revokeToken(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string): Promise<TokenView> {
  return changeToken(ctx, caller, orgId, tokenId, ({ row, nowMs }) =>
    statusOf(row, nowMs) === 'revoked'
      ? null
      : { update: { revoked_at: nowMs, revoked_reason: 'manual' }, action: 'token.revoked', details: { reason: 'manual' } },
  );
}

/**
 * Why a token is disabled, which decides who may enable it again: `manual` by its owner,
 * `administrative` by a manager, `owner_deactivated` by the system when its owner left.
 */
type DisabledReason = 'manual' | 'administrative' | 'owner_deactivated';

export function disableToken(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string): Promise<TokenView> {
  return changeToken(ctx, caller, orgId, tokenId, ({ row, nowMs }) => {
    const status = statusOf(row, nowMs);
    if (status === 'revoked' || status === 'expired') throw new Conflict(`A ${status} token cannot be disabled.`);
    if (status === 'disabled') return null;
    const reason: DisabledReason = row.impersonation === 0 && row.owner_id === caller.user.id ? 'manual' : 'administrative';
    return { update: { disabled_at: nowMs, disabled_reason: reason }, action: 'token.disabled', details: { reason } };
  });
}

/**
 * Re-approves a disabled token. The owner may undo only their own suspension; one by a manager or
 * by the system takes a manager. Refused once it expired or was revoked, while an owner whose
 * deactivation disabled it is still inactive, and when it would break the per-user cap.
 */
export function enableToken(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string): Promise<TokenView> {
  return changeToken(ctx, caller, orgId, tokenId, async ({ row, access, trx, nowMs }) => {
    const status = statusOf(row, nowMs);
    if (status === 'revoked' || status === 'expired') throw new Conflict(`A ${status} token cannot be enabled.`);
    if (status !== 'disabled') return null;
    if (row.disabled_reason !== 'manual' && !managesToken(access, row)) {
      throw new Forbidden(
        row.impersonation === 1
          ? 'Enabling this token needs the tokens.impersonate permission.'
          : 'This token was disabled by a manager or by the system; enabling it needs the tokens.manage permission.',
      );
    }
    if (row.disabled_reason === 'owner_deactivated' && !(await ownerIsActive(trx, row))) {
      throw new Conflict("The token's owner is deactivated or no longer a member; reactivate the owner first.");
    }
    if (row.impersonation === 0) await assertUnderCap(trx, access.org, row.owner_id, nowMs);
    return {
      update: { disabled_at: null, disabled_reason: null },
      action: 'token.enabled',
      details: { previous_reason: row.disabled_reason },
    };
  });
}

async function ownerIsActive(db: Executor, row: TokenRow): Promise<boolean> {
  const owner = await findUserById(db, row.owner_id);
  return owner?.status === 'active' && (await findMembership(db, row.org_id, row.owner_id)) !== undefined;
}
