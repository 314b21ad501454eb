import type { Config } from '../config.js';
import type { CreateOrgRequest, OrgView, ScopeView, UpdateOrgRequest } from '../contract/index.js';
import { Conflict } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Org } from '../core/model.js';
import { normalizeName } from '../core/names.js';
import { defaultPolicy, mergePolicy } from '../core/policy.js';
import { scopesForOrg } from '../core/scopes.js';
import { isoRequired } from '../core/time.js';
import type { Executor } from '../store/db.js';
import { findOrgBySlug, insertOrg, listOrgs, updateOrg as writeOrg } from '../store/orgs.js';
import { isSiteAdmin, orgAccess, requireManagementScope, requirePermission, requireSiteAdmin, type Caller } from './access.js';
import { changedFields } from './audit-diff.js';
import { actorOf, recordAudit } from './audit.js';
import { conflictOnDuplicate } from './conflicts.js';
import type { ServiceContext } from './context.js';
import { addMembership } from './members.js';
import { mapPage, pageOf, rowsToFetch, type Page, type PageRequest } from './pages.js';
import { tokensEnabled } from './tokens/rules.js';
import { findPerson } from './users.js';

export function orgView(org: Org, config: Config): OrgView {
  return {
    id: org.id,
    name: org.name,
    slug: org.slug,
    plan: org.plan,
    features: org.features,
    token_policy: org.tokenPolicy,
    tokens_enabled: tokensEnabled(config, org),
    created_at: isoRequired(org.createdAt),
    updated_at: isoRequired(org.updatedAt),
  };
}

function distinctSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/**
 * The orgs the caller belongs to, in id order (oldest first); a site admin's session sees
 * every org, and a token only its own.
 */
export async function listMyOrgs(ctx: ServiceContext, caller: Caller, page: PageRequest): Promise<Page<OrgView>> {
  if (caller.token) {
    requireManagementScope(caller);
    const { org } = await orgAccess(ctx.db, caller, caller.token.orgId);
    const afterCursor = page.cursor === undefined || org.id > page.cursor;
    return { data: afterCursor ? [orgView(org, ctx.config)] : [], next_cursor: null };
  }
  const memberId = isSiteAdmin(caller) ? undefined : caller.user.id;
  const orgs = await listOrgs(ctx.db, { memberId, cursor: page.cursor, limit: rowsToFetch(page) });
  return mapPage(pageOf(orgs, page, (o) => o.id), (o) => orgView(o, ctx.config));
}

/** A site admin creates an org with the deployment's default token policy, optionally with its first owner. */
export async function createOrg(ctx: ServiceContext, caller: Caller, input: CreateOrgRequest): Promise<OrgView> {
  requireSiteAdmin(caller);
  const now = ctx.clock.now();
  const org: Org = {
    id: newId('org', now),
    name: normalizeName(input.name),
    slug: input.slug,
    plan: input.plan,
    features: distinctSorted(input.features ?? []),
    tokenPolicy: defaultPolicy(ctx.config.policyBounds),
    createdAt: now,
    updatedAt: now,
  };
  const taken = `The slug ${org.slug} is taken.`;
  await conflictOnDuplicate(taken, () =>
    ctx.db.transaction().execute(async (trx) => {
      if (await findOrgBySlug(trx, org.slug)) throw new Conflict(taken);
      const owner = input.owner_email === undefined ? undefined : await findPerson(trx, { email: input.owner_email }, 'owner_email');
      const actor = actorOf(caller);
      await insertOrg(trx, org);
      await recordAudit(
        trx,
        actor,
        {
          orgId: org.id,
          action: 'org.created',
          target: { type: 'org', id: org.id },
          details: { name: org.name, slug: org.slug, plan: org.plan, features: org.features },
        },
        now,
      );
      if (owner) await addMembership(trx, actor, org.id, owner, 'owner', now);
    }),
  );
  return orgView(org, ctx.config);
}

/** Any member reads their org; a token needs a `keyward:*` scope (plan, features and policy are management data). */
export async function getOrg(ctx: ServiceContext, caller: Caller, orgId: string): Promise<OrgView> {
  const { org } = await orgAccess(ctx.db, caller, orgId);
  requireManagementScope(caller);
  return orgView(org, ctx.config);
}

/**
 * The scope catalog as this org may use it: feature- and plan-gated scopes it lacks are invisible.
 * It tells what the org pays for, so a token reads it only with a `keyward:*` scope.
 */
export async function orgScopes(ctx: ServiceContext, caller: Caller, orgId: string): Promise<ScopeView[]> {
  const { org } = await orgAccess(ctx.db, caller, orgId);
  requireManagementScope(caller);
  return scopesForOrg(ctx.config.scopes, org).map((s) => ({ name: s.name, description: s.description, ...(s.feature ? { feature: s.feature } : {}) }));
}

/**
 * What changing an org needs whatever the change: `org.manage` (name, policy) or a site admin's
 * session (plan, features). Someone with neither may not use the route at all, so is refused
 * before the body is validated; `updateOrg` then asks what each field needs.
 */
export async function authorizeOrgUpdate(db: Executor, caller: Caller, orgId: string): Promise<void> {
  const access = await orgAccess(db, caller, orgId);
  if (!isSiteAdmin(caller)) requirePermission(access, 'org.manage', 'write');
}

/**
 * Renames an org or changes its token policy (`org.manage`), or its plan and features (site
 * admins only). Policy, plan and features decide what tokens may do, so cached tokens of the
 * org are dropped.
 */
export async function updateOrg(ctx: ServiceContext, caller: Caller, orgId: string, change: UpdateOrgRequest): Promise<OrgView> {
  const now = ctx.clock.now();
  const result = await ctx.db.transaction().execute(async (trx) => {
    const access = await orgAccess(trx, caller, orgId);
    if (change.plan !== undefined || change.features !== undefined) requireSiteAdmin(caller);
    if (change.name !== undefined || change.token_policy !== undefined) requirePermission(access, 'org.manage', 'write');
    const before = access.org;
    const after: Org = {
      ...before,
      name: change.name !== undefined ? normalizeName(change.name) : before.name,
      plan: change.plan ?? before.plan,
      features: change.features !== undefined ? distinctSorted(change.features) : before.features,
      tokenPolicy: change.token_policy !== undefined ? mergePolicy(before.tokenPolicy, change.token_policy, ctx.config.policyBounds) : before.tokenPolicy,
      updatedAt: now,
    };
    const orgChanges = changedFields(
      { name: before.name, plan: before.plan, features: before.features },
      { name: after.name, plan: after.plan, features: after.features },
    );
    const policyChanges = changedFields(before.tokenPolicy, after.tokenPolicy);
    if (!orgChanges && !policyChanges) return { org: before, entitlementsChanged: false };
    await writeOrg(trx, after);
    const actor = actorOf(caller);
    const target = { type: 'org', id: orgId };
    if (orgChanges) await recordAudit(trx, actor, { orgId, action: 'org.updated', target, details: orgChanges }, now);
    if (policyChanges) await recordAudit(trx, actor, { orgId, action: 'org.policy_changed', target, details: policyChanges }, now);
    const entitlementsChanged = policyChanges !== null || 'plan' in (orgChanges?.after ?? {}) || 'features' in (orgChanges?.after ?? {});
    return { org: after, entitlementsChanged };
  });
  if (result.entitlementsChanged) ctx.invalidate.org(orgId);
  return orgView(result.org, ctx.config);
}
