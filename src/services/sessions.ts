import { createHmac } from 'node:crypto';
import { randomBase62 } from '../core/base62.js';
import { addressKey } from '../core/client-address.js';
import { RateLimited, Unauthenticated } from '../core/errors.js';
import type { RateLimiter } from '../core/rate-limit.js';
import { isRefusal } from '../core/sign-in-throttle.js';
import { DUMMY_PASSWORD_HASH } from '../core/password.js';
import { digestSecret, sameDigest } from '../core/token-hash.js';
import type { User } from '../core/model.js';
import { deleteExpiredSessions, deleteSession, findSession, insertSession } from '../store/sessions.js';
import { findUserByEmail, findUserById } from '../store/users.js';
import type { RequestMeta } from './access.js';
import { clearShared, shareHit } from './limits/shared.js';
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
 * limited per client address, and failures per (account, address) and per account
 * (`SignInThrottle`): each attempt is reserved before its password is checked, so parallel
 * guesses are counted too. `previousSession` is the session cookie the browser still sent: the new
 * session replaces it.
 */
export async function signIn(
  ctx: ServiceContext,
  credentials: { email: string; password: string },
  meta: RequestMeta,
  previousSession?: string,
): Promise<SignedIn> {
  const email = credentials.email.trim().toLowerCase().slice(0, 254);
  const { signInByIp, signIn: throttle, passwordHasher } = ctx.limits;
  const ipKey = meta.ip ?? 'unknown';
  enforceLimit(signInByIp, ipKey, ctx.clock.now());
  const attempt = throttle.reserve(email, meta.ip, ctx.clock.now());
  if (isRefusal(attempt)) throw new RateLimited(Math.ceil(attempt.retryAfterMs / 1000));
  signInByIp.hit(ipKey, ctx.clock.now());
  shareHit(ctx, `sign-in:${addressKey(ipKey)}`, signInByIp.windowMs, (total, now) => signInByIp.raise(ipKey, total, now));
  let user: User | undefined;
  let passwordOk: boolean;
  try {
    user = await findUserByEmail(ctx.db, email);
    passwordOk = await passwordHasher.verify(credentials.password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  } catch (error) {
    // The password was never checked (the hasher was busy, the store failed): not a guess.
    throttle.abandoned(attempt);
    throw error;
  }
  const now = ctx.clock.now();
  if (!user || !passwordOk || user.status !== 'active' || user.type !== 'user') {
    // The reservation stays: it was a failure, here and in the cluster's counts.
    shareHit(ctx, `sign-in-pair:${attempt.pair}`, throttle.windowMs, (total, at) => throttle.raise(attempt, { pair: total }, at));
    shareHit(ctx, `sign-in-account:${attempt.account}`, throttle.windowMs, (total, at) => throttle.raise(attempt, { account: total }, at));
    await recordAudit(
      ctx.db,
      { type: 'system', id: null, impersonatorId: null, meta },
      { orgId: null, action: 'session.failed', details: { email: email.slice(0, 200) } },
      now,
    );
    throw new Unauthenticated('The email or password is wrong.');
  }
  throttle.succeeded(attempt, now);
  clearShared(ctx, `sign-in-pair:${attempt.pair}`, throttle.windowMs);
  return startSession(ctx, user, meta, previousSession);
}

/**
 * Opens a session for a user who has just proven who they are (sign-in or first-run setup). The
 * session the browser held before, if it sent its cookie, ends: a browser has one session at a
 * time, so signing in again (as the same user or another) leaves nothing behind for whoever
 * copied the old cookie. Expired sessions are purged on the way (they are refused anyway), so the
 * table holds only sessions that can still be used.
 */
export async function startSession(ctx: ServiceContext, user: User, meta: RequestMeta, previousSession?: string): Promise<SignedIn> {
  const now = ctx.clock.now();
  const sessionSecret = randomBase62(43);
  const expiresAt = now + ctx.config.sessionTtlMs;
  await ctx.db.transaction().execute(async (trx) => {
    if (previousSession) await deleteSession(trx, digestSecret(ctx.pepper, previousSession));
    await deleteExpiredSessions(trx, now);
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
