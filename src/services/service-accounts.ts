import type { CreateServiceAccountRequest, ServiceAccountView } from '../contract/index.js';
import { NotFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { User } from '../core/model.js';
import { normalizeDescription, normalizeName } from '../core/names.js';
import { isoRequired } from '../core/time.js';
import type { Executor } from '../store/db.js';
import { findUserById, insertUser, listUsers, setUserStatus } from '../store/users.js';
import { orgAccess, requirePermission, type Caller } from './access.js';
import { actorOf, recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';
import { addMembership } from './members.js';
import { mapPage, pageOf, rowsToFetch, type Page, type PageRequest } from './pages.js';
import { suspendOwnerTokens } from './tokens/transitions.js';

export function serviceAccountView(account: User): ServiceAccountView {
  return {
    id: account.id,
    org_id: account.orgId ?? '',
    name: account.name,
    description: account.description,
    status: account.status,
    created_at: isoRequired(account.createdAt),
    created_by: account.createdBy === null ? null : { id: account.createdBy },
  };
}

/**
 * A non-human member that owns tokens for automations: a user of type `service_account` bound
 * to one org, without email or password, holding the `member` role there so its tokens can carry
 * product scopes.
 */
export async function createServiceAccount(
  ctx: ServiceContext,
  caller: Caller,
  orgId: string,
  input: CreateServiceAccountRequest,
): Promise<ServiceAccountView> {
  const name = normalizeName(input.name);
  const description = normalizeDescription(input.description);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const access = await orgAccess(trx, caller, orgId);
    requirePermission(access, 'tokens.manage', 'write');
    const account: User = {
      id: newId('svc', now),
      type: 'service_account',
      email: null,
      name,
      passwordHash: null,
      status: 'active',
      siteAdmin: false,
      orgId,
      description,
      createdBy: caller.user.id,
      createdAt: now,
      deactivatedAt: null,
    };
    const actor = actorOf(caller);
    await insertUser(trx, account);
    await recordAudit(trx, actor, { orgId, action: 'service_account.created', target: { type: 'service_account', id: account.id }, details: { name } }, now);
    await addMembership(trx, actor, orgId, account, 'member', now);
    return serviceAccountView(account);
  });
}

/** The org's service accounts, newest first, deactivated ones included. */
export async function listServiceAccounts(ctx: ServiceContext, caller: Caller, orgId: string, page: PageRequest): Promise<Page<ServiceAccountView>> {
  const access = await orgAccess(ctx.db, caller, orgId);
  requirePermission(access, 'tokens.manage', 'read');
  const accounts = await listUsers(ctx.db, { type: 'service_account', orgId, cursor: page.cursor, limit: rowsToFetch(page) });
  return mapPage(pageOf(accounts, page, (u) => u.id), serviceAccountView);
}

async function serviceAccountOf(db: Executor, orgId: string, id: string): Promise<User> {
  const account = await findUserById(db, id);
  if (!account || account.type !== 'service_account' || account.orgId !== orgId) throw new NotFound('service account');
  return account;
}

/** Deactivates a service account (it stays listed) and disables all its tokens; repeating it is a no-op. */
export async function deactivateServiceAccount(ctx: ServiceContext, caller: Caller, orgId: string, id: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const access = await orgAccess(trx, caller, orgId);
    requirePermission(access, 'tokens.manage', 'write');
    const account = await serviceAccountOf(trx, orgId, id);
    if (account.status === 'deactivated') return;
    const actor = actorOf(caller);
    await setUserStatus(trx, id, 'deactivated', now);
    const disabled = await suspendOwnerTokens(trx, actor, id, orgId, now);
    await recordAudit(
      trx,
      actor,
      { orgId, action: 'service_account.deactivated', target: { type: 'service_account', id }, details: { disabled_tokens: disabled.length } },
      now,
    );
  });
  ctx.invalidate.owner(id);
}
