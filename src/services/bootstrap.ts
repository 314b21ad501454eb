import { randomBase62 } from '../core/base62.js';
import { Conflict, Forbidden } from '../core/errors.js';
import { digestSecret, sameDigest } from '../core/token-hash.js';
import type { User } from '../core/model.js';
import type { Executor } from '../store/db.js';
import { getSetting, putSetting, takeSetting } from '../store/settings.js';
import { countHumanUsers } from '../store/users.js';
import type { RequestMeta } from './access.js';
import { systemActor, type AuditActor } from './audit.js';
import type { ServiceContext } from './context.js';
import { enforceLimit } from './sessions.js';
import { createUser, type NewUserInput } from './users.js';

const SETUP_KEY = 'setup_token_digest';

export type BootstrapOutcome =
  | { kind: 'ready' }
  | { kind: 'admin_created'; user: User }
  | { kind: 'setup_link'; url: string };

/**
 * First start: with no users, create the site admin from configuration, or mint a one-time setup
 * token (only its digest is kept) and return the link that lets the first visitor create one.
 */
export async function bootstrap(ctx: ServiceContext): Promise<BootstrapOutcome> {
  if ((await countHumanUsers(ctx.db)) > 0) return { kind: 'ready' };
  const { adminEmail, adminPassword } = ctx.config;
  if (adminEmail && adminPassword) {
    const user = await createFirstSiteAdmin(
      ctx,
      { email: adminEmail, name: adminEmail.split('@')[0] ?? 'admin', password: adminPassword },
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

async function noUsersYet(trx: Executor): Promise<void> {
  if ((await countHumanUsers(trx)) > 0) throw new Conflict('This deployment has users already.');
}

/** The first site admin (`keyward init`, or the environment on first start); refused once anyone exists. */
export async function createFirstSiteAdmin(
  ctx: ServiceContext,
  input: Omit<NewUserInput, 'siteAdmin'>,
  actor: AuditActor,
): Promise<User> {
  return createUser(ctx, { ...input, siteAdmin: true }, actor, noUsersYet);
}

/**
 * Redeems the setup token: creates the first site admin. The token is taken in the same
 * transaction that creates the user, so two visitors racing with the link cannot both win.
 */
export async function completeSetup(
  ctx: ServiceContext,
  input: { token: string; email: string; name: string; password: string },
  meta: RequestMeta,
): Promise<User> {
  const invalid = () => new Forbidden('This setup link is not valid (it may have been used already).');
  enforceLimit(ctx.limits.setupByIp, meta.ip ?? 'unknown', ctx.clock.now());
  ctx.limits.setupByIp.hit(meta.ip ?? 'unknown', ctx.clock.now());
  const digest = digestSecret(ctx.pepper, input.token);
  const stored = await getSetting(ctx.db, SETUP_KEY);
  if (!stored || !sameDigest(stored, digest)) throw invalid();
  return createUser(ctx, { ...input, siteAdmin: true }, systemActor(meta), async (trx) => {
    if ((await countHumanUsers(trx)) > 0 || !(await takeSetting(trx, SETUP_KEY, digest))) throw invalid();
  });
}
