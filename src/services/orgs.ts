import { Conflict } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { normalizeName } from '../core/names.js';
import { defaultPolicy, mergePolicy, type TokenPolicy } from '../core/policy.js';
import { scopesForOrg, type ScopeDefinition } from '../core/scopes.js';
import type { Config } from '../config.js';
import { findOrgBySlug, insertOrg, listOrgs, orgFromRow, updateOrg as updateOrgRow, type Org } from '../store/orgs.js';
import type { OrgRow } from '../store/schema.js';
import { isSiteAdmin, orgAccess, requirePermission, requireSiteAdmin, type Caller } from './access.js';
import { changedFields } from './audit-diff.js';
import { actorOf, recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';
import { addMembership } from './members.js';
import { pageOf, type Page, type PageRequest } from './pages.js';
import { findPerson } from './users.js';

/** Whether the org's plan includes API tokens at all (DESIGN §1: every plan but those configured). */
export function tokensEnabled(config: Config, org: Pick<Org, 'plan'>): boolean {
  return !config.plansWithoutTokens.includes(org.plan);
}

function distinctSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/**
 * The orgs the caller belongs to, in id order (oldest first); a site admin's session sees
 * every org, and a token only its own.
 */
export async function listMyOrgs(ctx: ServiceContext, caller: Caller, page: PageRequest): Promise<Page<Org>> {
  if (caller.token) {
    const { org } = await orgAccess(ctx.db, caller, caller.token.orgId);
    const afterCursor = page.cursor === undefined || org.id > page.cursor;
    return { items: afterCursor ? [org] : [], nextCursor: null };
  }
  const memberId = isSiteAdmin(caller) ? undefined : caller.user.id;
  const rows = await listOrgs(ctx.db, { memberId, cursor: page.cursor, limit: page.limit + 1 });
  return pageOf(rows.map(orgFromRow), page.limit, (o) => o.id);
}

export type NewOrgInput = { name: string; slug: string; plan: string; features?: string[] | undefined; ownerEmail?: string | undefined };

/** A site admin creates an org with the deployment's default token policy, optionally with its first owner. */
export async function createOrg(ctx: ServiceContext, caller: Caller, input: NewOrgInput): Promise<Org> {
  requireSiteAdmin(caller);
  const now = ctx.clock.now();
  const row: OrgRow = {
    id: newId('org', now),
    name: normalizeName(input.name),
    slug: input.slug,
    plan: input.plan,
    features: JSON.stringify(distinctSorted(input.features ?? [])),
    token_policy: JSON.stringify(defaultPolicy(ctx.config.policyBounds)),
    created_at: now,
    updated_at: now,
  };
  const org = orgFromRow(row);
  await ctx.db.transaction().execute(async (trx) => {
    if (await findOrgBySlug(trx, row.slug)) throw new Conflict(`The slug ${row.slug} is taken.`);
    const owner = input.ownerEmail === undefined ? undefined : await findPerson(trx, { email: input.ownerEmail }, 'owner_email');
    const actor = actorOf(caller);
    await insertOrg(trx, row);
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
  });
  return org;
}

export async function getOrg(ctx: ServiceContext, caller: Caller, orgId: string): Promise<Org> {
  return (await orgAccess(ctx.db, caller, orgId)).org;
}

/** The scope catalog as this org may use it: feature- and plan-gated scopes it lacks are invisible. */
export async function orgScopes(ctx: ServiceContext, caller: Caller, orgId: string): Promise<ScopeDefinition[]> {
  const { org } = await orgAccess(ctx.db, caller, orgId);
  return scopesForOrg(ctx.config.scopes, org);
}

export type OrgChange = {
  name?: string | undefined;
  plan?: string | undefined;
  features?: string[] | undefined;
  tokenPolicy?: Partial<TokenPolicy> | undefined;
};

/**
 * Renames an org or changes its token policy (`org.manage`), or its plan and features (site
 * admins only). Policy, plan and features decide what tokens may do, so cached tokens of the
 * org are dropped.
 */
export async function updateOrg(ctx: ServiceContext, caller: Caller, orgId: string, change: OrgChange): Promise<Org> {
  const now = ctx.clock.now();
  const result = await ctx.db.transaction().execute(async (trx) => {
    const access = await orgAccess(trx, caller, orgId);
    if (change.plan !== undefined || change.features !== undefined) requireSiteAdmin(caller);
    if (change.name !== undefined || change.tokenPolicy !== undefined) requirePermission(access, 'org.manage', 'write');
    const before = access.org;
    const after: Org = {
      ...before,
      name: change.name !== undefined ? normalizeName(change.name) : before.name,
      plan: change.plan ?? before.plan,
      features: change.features !== undefined ? distinctSorted(change.features) : before.features,
      tokenPolicy: change.tokenPolicy !== undefined ? mergePolicy(before.tokenPolicy, change.tokenPolicy, ctx.config.policyBounds) : before.tokenPolicy,
    };
    const orgChanges = changedFields(
      { name: before.name, plan: before.plan, features: before.features },
      { name: after.name, plan: after.plan, features: after.features },
    );
    const policyChanges = changedFields(before.tokenPolicy, after.tokenPolicy);
    if (!orgChanges && !policyChanges) return { org: before, entitlementsChanged: false };
    await updateOrgRow(trx, orgId, {
      name: after.name,
      plan: after.plan,
      features: JSON.stringify(after.features),
      token_policy: JSON.stringify(after.tokenPolicy),
      updated_at: now,
    });
    const actor = actorOf(caller);
    const target = { type: 'org', id: orgId };
    if (orgChanges) await recordAudit(trx, actor, { orgId, action: 'org.updated', target, details: orgChanges }, now);
    if (policyChanges) await recordAudit(trx, actor, { orgId, action: 'org.policy_changed', target, details: policyChanges }, now);
    const entitlementsChanged = policyChanges !== null || 'plan' in (orgChanges?.after ?? {}) || 'features' in (orgChanges?.after ?? {});
    return { org: { ...after, updatedAt: now }, entitlementsChanged };
  });
  if (result.entitlementsChanged) ctx.cache.invalidateOrg(orgId);
  return result.org;
}
