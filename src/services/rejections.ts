import type { TokenRow } from '../store/schema.js';
import type { RequestMeta } from './access.js';
import { recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';

const THROTTLE_MS = 60_000;
const AUDITED = new Set(['REVOKED', 'EXPIRED', 'DISABLED', 'IP_NOT_ALLOWED']);
const lastNoted = new WeakMap<ServiceContext, Map<string, number>>();

/**
 * Audits a failed use of a known token (`token.rejected`), at most once a minute per token and
 * code, and off the request's path: the verify path never waits on a write.
 */
export function noteRejectedUse(ctx: ServiceContext, token: TokenRow, code: string, meta: RequestMeta): void {
  if (!AUDITED.has(code)) return;
  const now = ctx.clock.now();
  let seen = lastNoted.get(ctx);
  if (!seen) lastNoted.set(ctx, (seen = new Map()));
  const key = `${token.id}:${code}`;
  const last = seen.get(key);
  if (last !== undefined && now - last < THROTTLE_MS) return;
  seen.set(key, now);
  if (seen.size > 10_000) seen.clear();
  recordAudit(
    ctx.db,
    { type: 'token', id: token.id, impersonatorId: null, meta },
    { orgId: token.org_id, action: 'token.rejected', target: { type: 'token', id: token.id }, details: { code } },
    now,
  ).catch((error: unknown) => ctx.log.error({ err: error }, 'could not audit a rejected token'));
}
