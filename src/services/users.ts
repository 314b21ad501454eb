import { Conflict, NotFound, PolicyViolation, ValidationFailed } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { normalizeName } from '../core/names.js';
import { hashPassword, passwordProblem } from '../core/password.js';
import type { Executor } from '../store/db.js';
import { membershipsOfUser } from '../store/orgs.js';
import type { UserRow } from '../store/schema.js';
import { deleteSessionsOfUser } from '../store/sessions.js';
import { disableTokensOfOwner } from '../store/tokens.js';
import { findUserByEmail, findUserById, insertUser, listUsers as listUserRows, setUserStatus } from '../store/users.js';
import { requireSiteAdmin, type Caller } from './access.js';
import { actorOf, recordAudit, type AuditActor } from './audit.js';
import type { ServiceContext } from './context.js';
import { pageOf, type Page, type PageRequest } from './pages.js';

export type NewUserInput = { email: string; name: string; password: string; siteAdmin: boolean };

export function normalizeEmail(raw: string): string {
  const email = raw.normalize('NFC').trim().toLowerCase();
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new ValidationFailed('email is not a valid address.', { field: 'email' });
  }
  return email;
}

/**
 * Creates a person who signs in with a password; audited as `user.created`. `guard` runs inside
 * the same transaction first, for checks that must not race (first-run setup).
 */
export async function createUser(
  ctx: ServiceContext,
  input: NewUserInput,
  actor: AuditActor,
  guard?: (trx: Executor) => Promise<void>,
): Promise<UserRow> {
  const email = normalizeEmail(input.email);
  const name = normalizeName(input.name);
  const problem = passwordProblem(input.password);
  if (problem) throw new ValidationFailed(problem, { field: 'password' });
  const passwordHash = await hashPassword(input.password);
  const now = ctx.clock.now();
  const user: UserRow = {
    id: newId('usr', now),
    type: 'user',
    email,
    name,
    password_hash: passwordHash,
    status: 'active',
    site_admin: input.siteAdmin ? 1 : 0,
    org_id: null,
    description: null,
    created_by: actor.id,
    created_at: now,
    deactivated_at: null,
  };
  await ctx.db.transaction().execute(async (trx) => {
    await guard?.(trx);
    if (await findUserByEmail(trx, email)) throw new Conflict('A user with this email exists already.');
    await insertUser(trx, user);
    await recordAudit(trx, actor, { orgId: null, action: 'user.created', target: { type: 'user', id: user.id }, details: { email, site_admin: input.siteAdmin } }, now);
  });
  return user;
}

/** `POST /users`: a site admin creates a person. */
export async function createUserAsSiteAdmin(ctx: ServiceContext, caller: Caller, input: NewUserInput): Promise<UserRow> {
  requireSiteAdmin(caller);
  return createUser(ctx, input, actorOf(caller));
}

/** People (not service accounts), newest first. */
export async function listPeople(ctx: ServiceContext, caller: Caller, page: PageRequest): Promise<Page<UserRow>> {
  requireSiteAdmin(caller);
  const rows = await listUserRows(ctx.db, { type: 'user', cursor: page.cursor, limit: page.limit + 1 });
  return pageOf(rows, page.limit, (u) => u.id);
}

/** Who a request names by `user_id` or `email`: an active person, or a 422 naming the field. */
export async function findPerson(
  db: Executor,
  target: { userId?: string | undefined; email?: string | undefined },
  field = target.email !== undefined ? 'email' : 'user_id',
): Promise<UserRow> {
  if ((target.userId === undefined) === (target.email === undefined)) {
    throw new ValidationFailed('Give either user_id or email.', { field: 'user_id' });
  }
  const user = target.email !== undefined ? await findUserByEmail(db, normalizeEmail(target.email)) : await findUserById(db, target.userId!);
  if (!user || user.type !== 'user') throw new PolicyViolation('validation_failed', `No user matches this ${field}.`, { field });
  if (user.status !== 'active') throw new PolicyViolation('validation_failed', 'This user is deactivated.', { field });
  return user;
}

/**
 * Disables every enabled token an owner holds in one org (DESIGN: an owner deactivated or
 * removed loses them all at once, and they are not re-enabled automatically); each is audited.
 */
export async function suspendOwnerTokens(trx: Executor, actor: AuditActor, ownerId: string, orgId: string, now: number): Promise<string[]> {
  const ids = await disableTokensOfOwner(trx, ownerId, orgId, 'owner_deactivated', now);
  for (const id of ids) {
    await recordAudit(trx, actor, { orgId, action: 'token.disabled', target: { type: 'token', id }, details: { reason: 'owner_deactivated' } }, now);
  }
  return ids;
}

/** A person a site admin may (de)activate; service accounts go through their org's routes. */
async function personById(db: Executor, userId: string): Promise<UserRow> {
  const user = await findUserById(db, userId);
  if (!user || user.type !== 'user') throw new NotFound('user');
  return user;
}

/**
 * Deactivates a person everywhere: their tokens in every org are disabled, their sessions end,
 * and each org they belong to gets a `user.deactivated` event (plus one deployment-wide).
 */
export async function deactivateUser(ctx: ServiceContext, caller: Caller, userId: string): Promise<UserRow> {
  requireSiteAdmin(caller);
  if (userId === caller.user.id) throw new Conflict('You cannot deactivate yourself.');
  const now = ctx.clock.now();
  const actor = actorOf(caller);
  const user = await ctx.db.transaction().execute(async (trx) => {
    const user = await personById(trx, userId);
    if (user.status === 'deactivated') return user;
    await setUserStatus(trx, user.id, 'deactivated', now);
    await deleteSessionsOfUser(trx, user.id);
    const target = { type: 'user', id: user.id };
    for (const membership of await membershipsOfUser(trx, user.id)) {
      const disabled = await suspendOwnerTokens(trx, actor, user.id, membership.org_id, now);
      await recordAudit(trx, actor, { orgId: membership.org_id, action: 'user.deactivated', target, details: { disabled_tokens: disabled.length } }, now);
    }
    // Tokens left in orgs they no longer belong to (normally none: removal disables them).
    const stray = await disableTokensOfOwner(trx, user.id, null, 'owner_deactivated', now);
    await recordAudit(trx, actor, { orgId: null, action: 'user.deactivated', target, details: { email: user.email, other_disabled_tokens: stray } }, now);
    return { ...user, status: 'deactivated' as const, deactivated_at: now };
  });
  ctx.cache.invalidateOwner(user.id);
  return user;
}

/** Lets a person sign in again. Their tokens stay disabled: DESIGN wants them re-approved one by one. */
export async function reactivateUser(ctx: ServiceContext, caller: Caller, userId: string): Promise<UserRow> {
  requireSiteAdmin(caller);
  const now = ctx.clock.now();
  const actor = actorOf(caller);
  const user = await ctx.db.transaction().execute(async (trx) => {
    const user = await personById(trx, userId);
    if (user.status === 'active') return user;
    await setUserStatus(trx, user.id, 'active', now);
    const target = { type: 'user', id: user.id };
    for (const membership of await membershipsOfUser(trx, user.id)) {
      await recordAudit(trx, actor, { orgId: membership.org_id, action: 'user.reactivated', target }, now);
    }
    await recordAudit(trx, actor, { orgId: null, action: 'user.reactivated', target, details: { email: user.email } }, now);
    return { ...user, status: 'active' as const, deactivated_at: null };
  });
  ctx.cache.invalidateOwner(user.id);
  return user;
}
