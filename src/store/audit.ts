import type { AuditRecord } from '../core/model.js';
import { json } from './row-mapper.js';
import type { Executor } from './db.js';
import type { AuditEventRow } from './schema.js';

function auditFromRow(row: AuditEventRow): AuditRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id },
    impersonatorId: row.impersonator_id,
    target: row.target_type !== null && row.target_id !== null ? { type: row.target_type, id: row.target_id } : null,
    ip: row.ip,
    userAgent: row.user_agent,
    createdAt: row.created_at,
    details: json<Record<string, unknown>>().fromRow(row.details),
  };
}

export async function insertAuditEvent(db: Executor, event: AuditRecord): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: event.id,
      org_id: event.orgId,
      action: event.action,
      actor_type: event.actor.type,
      actor_id: event.actor.id,
      impersonator_id: event.impersonatorId,
      target_type: event.target?.type ?? null,
      target_id: event.target?.id ?? null,
      ip: event.ip,
      user_agent: event.userAgent,
      created_at: event.createdAt,
      details: JSON.stringify(event.details),
    })
    .execute();
}

export type AuditFilter = {
  /** null selects the deployment's own events, those of no org. */
  orgId: string | null;
  action?: string | undefined;
  actorId?: string | undefined;
  tokenId?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  /** Newest first: events with an id below the cursor. */
  cursor?: string | undefined;
  limit: number;
};

export async function listAuditEvents(db: Executor, filter: AuditFilter): Promise<AuditRecord[]> {
  let query = db
    .selectFrom('audit_events')
    .selectAll()
    .where('org_id', filter.orgId === null ? 'is' : '=', filter.orgId);
  if (filter.action !== undefined) {
    // `token.*` selects a family of actions: a range ('/' follows '.' in ASCII), no LIKE escaping.
    if (filter.action.endsWith('.*')) {
      const family = filter.action.slice(0, -2);
      query = query.where('action', '>=', `${family}.`).where('action', '<', `${family}/`);
    } else {
      query = query.where('action', '=', filter.action);
    }
  }
  if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
  if (filter.tokenId !== undefined) {
    query = query.where('target_type', '=', 'token').where('target_id', '=', filter.tokenId);
  }
  if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
  if (filter.cursor !== undefined) query = query.where('id', '<', filter.cursor);
  return (await query.orderBy('id', 'desc').limit(filter.limit).execute()).map(auditFromRow);
}
