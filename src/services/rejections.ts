import type { Token } from '../core/model.js';
import type { VerifyCode } from '../core/verify-codes.js';
import type { RequestMeta } from './access.js';
import { recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';

const AUDITED: ReadonlySet<VerifyCode> = new Set(['REVOKED', 'EXPIRED', 'DISABLED', 'IP_NOT_ALLOWED']);

/**
 * Audits a failed use of a known token (`token.rejected`), at most once a minute per token and
 * code, and off the request's path: the verify path never waits on a write.
 */
export function noteRejectedUse(ctx: ServiceContext, token: Token, code: VerifyCode, meta: RequestMeta): void {
  if (!AUDITED.has(code)) return;
  const now = ctx.clock.now();
  if (!ctx.rejections.admit(`${token.id}:${code}`, now)) return;
  recordAudit(
    ctx.db,
    { type: 'token', id: token.id, impersonatorId: null, meta },
    { orgId: token.orgId, action: 'token.rejected', target: { type: 'token', id: token.id }, details: { code } },
    now,
  ).catch((error: unknown) => ctx.log.error({ err: error }, 'could not audit a rejected token'));
}
