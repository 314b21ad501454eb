import type { ListTokensRequest, TokenView } from '../../contract/index.js';
import { Forbidden } from '../../core/errors.js';
import { managementScopeFor } from '../../core/permissions.js';
import { DAY_MS } from '../../core/policy.js';
import { listTokens as selectTokens } from '../../store/tokens.js';
import { hasPermission, orgAccess, requireScope, type Caller } from '../access.js';
import type { ServiceContext } from '../context.js';
import { pageOf, rowsToFetch, type Page } from '../pages.js';
import { actionableToken, confinedToItself } from './rules.js';
import { tokenViewOf, tokenViews } from './view.js';

/** Expired and revoked tokens stay listed this long after they ended. */
export const RETENTION_DAYS = 90;

/**
 * `GET /orgs/{org}/tokens`. Own tokens for everyone; others' for `tokens.manage`; impersonation
 * tokens only for `tokens.impersonate` — never for the member they impersonate.
 */
export async function listTokens(ctx: ServiceContext, caller: Caller, orgId: string, request: ListTokensRequest): Promise<Page<TokenView>> {
  const access = await orgAccess(ctx.db, caller, orgId);
  requireScope(caller, managementScopeFor('tokens.own', 'read'));
  const owner = request.owner ?? 'me';
  const own = owner === 'me' || owner === caller.user.id;
  const manage = hasPermission(access, 'tokens.manage');
  const impersonate = hasPermission(access, 'tokens.impersonate');
  if (!own && !manage && !impersonate) throw new Forbidden("Listing other members' tokens needs the tokens.manage permission.");
  const now = ctx.clock.now();
  const tokens = await selectTokens(ctx.db, {
    orgId,
    ownerId: own ? caller.user.id : owner === 'all' ? undefined : owner,
    // A service account's token does not see its siblings, like a member those of others.
    id: own && confinedToItself(access) ? caller.token?.id : undefined,
    hideImpersonation: !impersonate,
    onlyImpersonation: !own && !manage,
    status: request.status,
    kind: request.kind,
    q: request.q,
    endingBefore: request.expiring ? now + access.org.tokenPolicy.warning_window_days * DAY_MS : undefined,
    cursor: request.cursor,
    limit: rowsToFetch(request),
    nowMs: now,
    retainSince: now - RETENTION_DAYS * DAY_MS,
  });
  const page = pageOf(tokens, request, (token) => token.id);
  return { data: await tokenViews(ctx, access.org, page.data, now), next_cursor: page.next_cursor };
}

export async function getToken(ctx: ServiceContext, caller: Caller, orgId: string, tokenId: string): Promise<TokenView> {
  const access = await orgAccess(ctx.db, caller, orgId);
  requireScope(caller, managementScopeFor('tokens.own', 'read'));
  return tokenViewOf(ctx, access.org, await actionableToken(ctx.db, access, tokenId), ctx.clock.now());
}
