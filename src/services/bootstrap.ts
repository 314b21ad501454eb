import { randomBase62 } from '../core/base62.js';
import { Forbidden, ValidationFailed } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { normalizeName } from '../core/names.js';
import { hashPassword, passwordProblem } from '../core/password.js';
import { digestSecret, sameDigest } from '../core/token-hash.js';
import type { UserRow } from '../store/schema.js';
import { deleteSetting, getSetting, putSetting } from '../store/settings.js';
import { countHumanUsers, findUserByEmail, insertUser } from '../store/users.js';
import type { RequestMeta } from './access.js';
import { recordAudit, systemActor, type AuditActor } from './audit.js';
import type { ServiceContext } from './context.js';

const SETUP_KEY = 'setup_token_digest';

export type NewUserInput = { email: string; name: string; password: string; siteAdmin: boolean };

export function normalizeEmail(raw: string): string {
  const email = raw.normalize('NFC').trim().toLowerCase();
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new ValidationFailed('email is not a valid address.', { field: 'email' });
  }
  return email;
}

/** Creates a person who signs in with a password; audited as `user.created`. */
export async function createUser(ctx: ServiceContext, input: NewUserInput, actor: AuditActor): Promise<UserRow> {
  const email = normalizeEmail(input.email);
  const name = normalizeName(input.name);
  const problem = passwordProblem(input.password);
  if (problem) throw new ValidationFailed(problem, { field: 'password' });
  if (await findUserByEmail(ctx.db, email)) {
    throw new ValidationFailed('A user with this email exists already.', { field: 'email' });
  }
  const now = ctx.clock.now();
  const user: UserRow = {
    id: newId('usr', now),
    type: 'user',
    email,
    name,
    password_hash: await hashPassword(input.password),
    status: 'active',
    site_admin: input.siteAdmin ? 1 : 0,
    org_id: null,
    description: null,
    created_by: actor.id,
    created_at: now,
    deactivated_at: null,
  };
  await ctx.db.transaction().execute(async (trx) => {
    await insertUser(trx, user);
    await recordAudit(trx, actor, { orgId: null, action: 'user.created', target: { type: 'user', id: user.id }, details: { email, site_admin: input.siteAdmin } }, now);
  });
  return user;
}

export type BootstrapOutcome =
  | { kind: 'ready' }
  | { kind: 'admin_created'; user: UserRow }
  | { kind: 'setup_link'; url: string };

/**
 * First start: with no users, create the site admin from configuration, or mint a one-time setup
 * token (only its digest is kept) and return the link that lets the first visitor create one.
 */
export async function bootstrap(ctx: ServiceContext): Promise<BootstrapOutcome> {
  if ((await countHumanUsers(ctx.db)) > 0) return { kind: 'ready' };
  const { adminEmail, adminPassword } = ctx.config;
  if (adminEmail && adminPassword) {
    const user = await createUser(
      ctx,
      { email: adminEmail, name: adminEmail.split('@')[0] ?? 'admin', password: adminPassword, siteAdmin: true },
      systemActor({ ip: null, userAgent: 'keyward-bootstrap' }),
    );
    return { kind: 'admin_created', user };
  }
  const token = randomBase62(32);
  await putSetting(ctx.db, SETUP_KEY, digestSecret(ctx.pepper, token));
  return { kind: 'setup_link', url: `${ctx.config.publicUrl}/setup?token=${token}` };
}

/** Whether first-run setup is still open (no users yet and a setup token minted). */
export async function setupPending(ctx: ServiceContext): Promise<boolean> {
  return (await countHumanUsers(ctx.db)) === 0 && (await getSetting(ctx.db, SETUP_KEY)) !== undefined;
}

/** Redeems the setup token: creates the first site admin. The token works once. */
export async function completeSetup(
  ctx: ServiceContext,
  input: { token: string; email: string; name: string; password: string },
  meta: RequestMeta,
): Promise<UserRow> {
  const stored = await getSetting(ctx.db, SETUP_KEY);
  if (!stored || (await countHumanUsers(ctx.db)) > 0 || !sameDigest(stored, digestSecret(ctx.pepper, input.token))) {
    throw new Forbidden('This setup link is not valid (it may have been used already).');
  }
  const user = await createUser(ctx, { ...input, siteAdmin: true }, { ...systemActor(meta), type: 'system' });
  await deleteSetting(ctx.db, SETUP_KEY);
  return user;
}
