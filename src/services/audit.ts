import { newId } from '../core/ids.js';
import type { ActorType } from '../core/model.js';
import type { Executor } from '../store/db.js';
import { insertAuditEvent } from '../store/audit.js';
import { isWebhookEvent } from '../core/webhooks.js';
import type { Caller, RequestMeta } from './access.js';
import { enqueueWebhookEvent } from './webhooks/outbox.js';

/** Who an audit event is attributed to. */
export type AuditActor = {
  type: ActorType;
  id: string | null;
  impersonatorId: string | null;
  meta: RequestMeta;
};

export function actorOf(caller: Caller): AuditActor {
  if (caller.operator) return systemActor(caller.meta);
  return {
    type: caller.user.type,
    id: caller.user.id,
    impersonatorId: caller.token?.impersonation ? caller.token.createdBy : null,
    meta: caller.meta,
  };
}

/** Operator actions from the CLI or the bootstrap have no signed-in user. */
export function systemActor(meta: RequestMeta = { ip: null, userAgent: 'keyward-cli' }): AuditActor {
  return { type: 'system', id: null, impersonatorId: null, meta };
}

export type AuditEntry = {
  orgId: string | null;
  action: string;
  target?: { type: string; id: string };
  /** Never a secret: ids, names, scopes, reasons, a token's SHA-256 at most. */
  details?: Record<string, unknown>;
};

/**
 * Writes one audit event; call it with the transaction that makes the change. A token event an
 * org's webhooks report (DESIGN §1) is put in their outbox here too, in the same transaction: the
 * one place every such change passes, so no use case can change a token without its webhook.
 */
export async function recordAudit(db: Executor, actor: AuditActor, entry: AuditEntry, nowMs: number): Promise<string> {
  const id = newId('evt', nowMs);
  await insertAuditEvent(db, {
    id,
    orgId: entry.orgId,
    action: entry.action,
    actor: { type: actor.type, id: actor.id },
    impersonatorId: actor.impersonatorId,
    target: entry.target ?? null,
    ip: actor.meta.ip,
    userAgent: actor.meta.userAgent?.slice(0, 512) ?? null,
    createdAt: nowMs,
    details: entry.details ?? {},
  });
  if (entry.orgId !== null && entry.target?.type === 'token' && isWebhookEvent(entry.action)) {
    await enqueueWebhookEvent(db, { id, orgId: entry.orgId, type: entry.action, tokenId: entry.target.id, actor, createdAt: nowMs });
  }
  return id;
}
