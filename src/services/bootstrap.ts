import { randomBase62 } from '../core/base62.js';
import { Forbidden } from '../core/errors.js';
import { digestSecret, sameDigest } from '../core/token-hash.js';
import type { UserRow } from '../store/schema.js';
import { deleteSetting, getSetting, putSetting } from '../store/settings.js';
import { countHumanUsers } from '../store/users.js';
import type { RequestMeta } from './access.js';
import { systemActor } from './audit.js';
import type { ServiceContext } from './context.js';
import { createUser } from './users.js';

const SETUP_KEY = 'setup_token_digest';

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
