import type { Insertable } from 'kysely';
import type { Executor } from './db.js';
import type { AuditEventRow, AuditEventsTable } from './schema.js';

export async function insertAuditEvent(db: Executor, event: Insertable<AuditEventsTable>): Promise<void> {
  await db.insertInto('audit_events').values(event).execute();
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

export async function listAuditEvents(db: Executor, filter: AuditFilter): Promise<AuditEventRow[]> {
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
  return query.orderBy('id', 'desc').limit(filter.limit).execute();
}
