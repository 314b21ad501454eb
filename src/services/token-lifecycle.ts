import { isoRequired } from '../core/time.js';
import { DAY_MS } from '../core/policy.js';
import type { Token } from '../core/model.js';
import { allOrgs } from '../store/orgs.js';
import { claimNotification, tokensEnteringWarning, tokensNewlyExpired } from '../store/tokens.js';
import { recordAudit, systemActor } from './audit.js';
import type { ServiceContext } from './context.js';

/** How many tokens one sweep announces per kind of event; the next sweep takes the rest. */
const BATCH = 500;

export type SweepResult = { expiring: string[]; expired: string[] };

/**
 * Announces each token once when it enters its org's warning window (`token.expiring`) and once
 * when it expires (`token.expired`). Runs on a timer; safe to run in several processes at once.
 */
export async function sweepTokenLifecycle(ctx: ServiceContext): Promise<SweepResult> {
  const now = ctx.clock.now();
  const result: SweepResult = { expiring: [], expired: [] };
  for (const org of await allOrgs(ctx.db)) {
    const before = now + org.tokenPolicy.warning_window_days * DAY_MS;
    for (const token of await tokensEnteringWarning(ctx.db, org.id, before, now, BATCH)) {
      if (await announce(ctx, token, 'expiring_notified_at', 'token.expiring', now)) result.expiring.push(token.id);
    }
  }
  for (const token of await tokensNewlyExpired(ctx.db, now, BATCH)) {
    if (await announce(ctx, token, 'expired_notified_at', 'token.expired', now)) result.expired.push(token.id);
  }
  return result;
}

async function announce(
  ctx: ServiceContext,
  token: Token,
  column: 'expiring_notified_at' | 'expired_notified_at',
  action: 'token.expiring' | 'token.expired',
  now: number,
): Promise<boolean> {
  return ctx.db.transaction().execute(async (trx) => {
    if (!(await claimNotification(trx, token.id, column, now))) return false;
    const expiresAt = token.expiresAt!;
    await recordAudit(
      trx,
      systemActor({ ip: null, userAgent: null }),
      {
        orgId: token.orgId,
        action,
        target: { type: 'token', id: token.id },
        details: {
          name: token.name,
          owner_id: token.ownerId,
          expires_at: isoRequired(expiresAt),
          ...(action === 'token.expiring' ? { days_left: Math.ceil((expiresAt - now) / DAY_MS) } : {}),
        },
      },
      now,
    );
    return true;
  });
}

/** Sweeps every `intervalMs` in the background until stopped. */
export function startLifecycleSweeps(ctx: ServiceContext, intervalMs: number, onError: (error: unknown) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepTokenLifecycle(ctx)
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
