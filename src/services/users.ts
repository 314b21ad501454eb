import { Conflict, NotFound, PolicyViolation, ValidationFailed } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { normalizeName } from '../core/names.js';
import { hashPassword, passwordProblem } from '../core/password.js';
import type { CreateUserRequest, UserView } from '../contract/index.js';
import type { User } from '../core/model.js';
import { isoRequired } from '../core/time.js';
import type { Executor } from '../store/db.js';
import { membershipsOfUser } from '../store/orgs.js';
import { deleteSessionsOfUser } from '../store/sessions.js';
import { findUserByEmail, findUserById, insertUser, listUsers, setUserStatus } from '../store/users.js';
import { requireSiteAdmin, type Caller } from './access.js';
import { actorOf, recordAudit, type AuditActor } from './audit.js';
import { conflictOnDuplicate } from './conflicts.js';
import type { ServiceContext } from './context.js';
import { mapPage, pageOf, rowsToFetch, type Page, type PageRequest } from './pages.js';
import { suspendOwnerTokens } from './tokens/transitions.js';

export function userView(user: User): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    site_admin: user.siteAdmin,
    status: user.status,
    type: user.type,
    created_at: isoRequired(user.createdAt),
  };
}

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
): Promise<User> {
  const email = normalizeEmail(input.email);
  const name = normalizeName(input.name);
  const problem = passwordProblem(input.password);
  if (problem) throw new ValidationFailed(problem, { field: 'password' });
  const passwordHash = await hashPassword(input.password);
  const now = ctx.clock.now();
  const user: User = {
    id: newId('usr', now),
    type: 'user',
    email,
    name,
    passwordHash,
    status: 'active',
    siteAdmin: input.siteAdmin,
    orgId: null,
    description: null,
    createdBy: actor.id,
    createdAt: now,
    deactivatedAt: null,
  };
  const taken = 'A user with this email exists already.';
  await conflictOnDuplicate(taken, () =>
    ctx.db.transaction().execute(async (trx) => {
      await guard?.(trx);
      if (await findUserByEmail(trx, email)) throw new Conflict(taken);
      await insertUser(trx, user);
      await recordAudit(trx, actor, { orgId: null, action: 'user.created', target: { type: 'user', id: user.id }, details: { email, site_admin: input.siteAdmin } }, now);
    }),
  );
  return user;
}

/** `POST /users`: a site admin creates a person. */
export async function createUserAsSiteAdmin(ctx: ServiceContext, caller: Caller, input: CreateUserRequest): Promise<UserView> {
  requireSiteAdmin(caller);
  const { email, name, password, site_admin } = input;
  return userView(await createUser(ctx, { email, name, password, siteAdmin: site_admin ?? false }, actorOf(caller)));
}

/** People (not service accounts), newest first. */
export async function listPeople(ctx: ServiceContext, caller: Caller, page: PageRequest): Promise<Page<UserView>> {
  requireSiteAdmin(caller);
  const users = await listUsers(ctx.db, { type: 'user', cursor: page.cursor, limit: rowsToFetch(page) });
  return mapPage(pageOf(users, page, (u) => u.id), userView);
}

/** Who a request names by `user_id` or `email`: an active person, or a 422 naming the field. */
export async function findPerson(
  db: Executor,
  target: { userId?: string | undefined; email?: string | undefined },
  field = target.email !== undefined ? 'email' : 'user_id',
): Promise<User> {
  if ((target.userId === undefined) === (target.email === undefined)) {
    throw new ValidationFailed('Give either user_id or email.', { field: 'user_id' });
  }
  const user = target.email !== undefined ? await findUserByEmail(db, normalizeEmail(target.email)) : await findUserById(db, target.userId!);
  if (!user || user.type !== 'user') throw new PolicyViolation('unknown_user', `No user matches this ${field}.`, { field });
  if (user.status !== 'active') throw new PolicyViolation('user_deactivated', 'This user is deactivated.', { field });
  return user;
}

/** A person a site admin may (de)activate; service accounts go through their org's routes. */
async function personById(db: Executor, userId: string): Promise<User> {
  const user = await findUserById(db, userId);
  if (!user || user.type !== 'user') throw new NotFound('user');
  return user;
}

type StatusChange = { trx: Executor; actor: AuditActor; user: User; target: { type: string; id: string }; now: number };

/**
 * The shell both status changes share: a site admin, the person loaded inside the transaction,
 * nothing to do when they are in that status already, the caches told afterwards.
 */
async function changePersonStatus(
  ctx: ServiceContext,
  caller: Caller,
  userId: string,
  status: User['status'],
  effects: (change: StatusChange) => Promise<void>,
): Promise<UserView> {
  requireSiteAdmin(caller);
  const now = ctx.clock.now();
  const actor = actorOf(caller);
  const user = await ctx.db.transaction().execute(async (trx) => {
    const user = await personById(trx, userId);
    if (user.status === status) return user;
    await setUserStatus(trx, user.id, status, now);
    await effects({ trx, actor, user, target: { type: 'user', id: user.id }, now });
    return { ...user, status, deactivatedAt: status === 'deactivated' ? now : null };
  });
  ctx.invalidate.owner(user.id);
  return userView(user);
}

/**
 * Deactivates a person everywhere: their tokens in every org are disabled, their sessions end,
 * and each org they belong to gets a `user.deactivated` event (plus one deployment-wide).
 */
export async function deactivateUser(ctx: ServiceContext, caller: Caller, userId: string): Promise<UserView> {
  if (userId === caller.user.id) throw new Conflict('You cannot deactivate yourself.');
  return changePersonStatus(ctx, caller, userId, 'deactivated', async ({ trx, actor, user, target, now }) => {
    await deleteSessionsOfUser(trx, user.id);
    for (const membership of await membershipsOfUser(trx, user.id)) {
      const disabled = await suspendOwnerTokens(trx, actor, user.id, membership.orgId, now);
      await recordAudit(trx, actor, { orgId: membership.orgId, action: 'user.deactivated', target, details: { disabled_tokens: disabled.length } }, now);
    }
    // Tokens left in orgs they no longer belong to (normally none: removal disables them).
    const stray = await suspendOwnerTokens(trx, actor, user.id, null, now);
    await recordAudit(trx, actor, { orgId: null, action: 'user.deactivated', target, details: { email: user.email, other_disabled_tokens: stray } }, now);
  });
}

/** Lets a person sign in again. Their tokens stay disabled: DESIGN wants them re-approved one by one. */
export async function reactivateUser(ctx: ServiceContext, caller: Caller, userId: string): Promise<UserView> {
  return changePersonStatus(ctx, caller, userId, 'active', async ({ trx, actor, user, target, now }) => {
    for (const membership of await membershipsOfUser(trx, user.id)) {
      await recordAudit(trx, actor, { orgId: membership.orgId, action: 'user.reactivated', target }, now);
    }
    await recordAudit(trx, actor, { orgId: null, action: 'user.reactivated', target, details: { email: user.email } }, now);
  });
}
