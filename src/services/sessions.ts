import { createHmac } from 'node:crypto';
import { randomBase62 } from '../core/base62.js';
import { RateLimited, Unauthenticated } from '../core/errors.js';
import type { RateLimiter } from '../core/rate-limit.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../core/password.js';
import { digestSecret, sameDigest } from '../core/token-hash.js';
import type { User } from '../core/model.js';
import { deleteSession, findSession, insertSession } from '../store/sessions.js';
import { findUserByEmail, findUserById } from '../store/users.js';
import type { RequestMeta } from './access.js';
import { recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';

export type SignedIn = { user: User; sessionSecret: string; csrfToken: string; expiresAt: number };

/** The CSRF token bound to a session: derived, so nothing more is stored. */
export function csrfTokenFor(pepper: Buffer, sessionSecret: string): string {
  return createHmac('sha256', pepper).update(`csrf:${sessionSecret}`).digest('base64url');
}

export function csrfMatches(pepper: Buffer, sessionSecret: string, presented: string): boolean {
  return sameDigest(csrfTokenFor(pepper, sessionSecret), presented);
}

/** Refuses a guess that is over a limit; the answer says when to come back. */
export function enforceLimit(limiter: RateLimiter, key: string, nowMs: number): void {
  const waitMs = limiter.blockedFor(key, nowMs);
  if (waitMs > 0) throw new RateLimited(Math.ceil(waitMs / 1000));
}

/**
 * Password sign-in. Unknown email, wrong password and deactivated users fail alike. Attempts are
 * limited per client address and failures per account, so passwords cannot be guessed at speed.
 */
export async function signIn(
  ctx: ServiceContext,
  credentials: { email: string; password: string },
  meta: RequestMeta,
): Promise<SignedIn> {
  const email = credentials.email.trim().toLowerCase().slice(0, 254);
  const { signInByIp, signInFailuresByEmail } = ctx.limits;
  const ipKey = meta.ip ?? 'unknown';
  enforceLimit(signInByIp, ipKey, ctx.clock.now());
  enforceLimit(signInFailuresByEmail, email, ctx.clock.now());
  signInByIp.hit(ipKey, ctx.clock.now());
  const user = await findUserByEmail(ctx.db, email);
  const passwordOk = await verifyPassword(credentials.password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  const now = ctx.clock.now();
  if (!user || !passwordOk || user.status !== 'active' || user.type !== 'user') {
    signInFailuresByEmail.hit(email, now);
    await recordAudit(
      ctx.db,
      { type: 'system', id: null, impersonatorId: null, meta },
      { orgId: null, action: 'session.failed', details: { email: email.slice(0, 200) } },
      now,
    );
    throw new Unauthenticated('The email or password is wrong.');
  }
  signInFailuresByEmail.reset(email);
  return startSession(ctx, user, meta);
}

/** Opens a session for a user who has just proven who they are (sign-in or first-run setup). */
export async function startSession(ctx: ServiceContext, user: User, meta: RequestMeta): Promise<SignedIn> {
  const now = ctx.clock.now();
  const sessionSecret = randomBase62(43);
  const expiresAt = now + ctx.config.sessionTtlMs;
  await ctx.db.transaction().execute(async (trx) => {
    await insertSession(trx, {
      idDigest: digestSecret(ctx.pepper, sessionSecret),
      userId: user.id,
      createdAt: now,
      expiresAt,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
    });
    await recordAudit(
      trx,
      { type: 'user', id: user.id, impersonatorId: null, meta },
      { orgId: null, action: 'session.created', target: { type: 'user', id: user.id } },
      now,
    );
  });
  return { user, sessionSecret, csrfToken: csrfTokenFor(ctx.pepper, sessionSecret), expiresAt };
}

/** The active user behind a session cookie, or null when it is unknown, expired or the user is gone. */
export async function sessionUser(ctx: ServiceContext, sessionSecret: string): Promise<User | null> {
  const digest = digestSecret(ctx.pepper, sessionSecret);
  const session = await findSession(ctx.db, digest);
  if (!session) return null;
  if (session.expiresAt <= ctx.clock.now()) {
    await deleteSession(ctx.db, digest);
    return null;
  }
  const user = await findUserById(ctx.db, session.userId);
  return user && user.status === 'active' ? user : null;
}

export async function signOut(ctx: ServiceContext, sessionSecret: string): Promise<void> {
  await deleteSession(ctx.db, digestSecret(ctx.pepper, sessionSecret));
}
