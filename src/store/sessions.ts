import type { Session } from '../core/model.js';
import { rowMapper } from './row-mapper.js';
import type { SessionRow } from './schema.js';
import type { Executor } from './db.js';

const sessions = rowMapper<SessionRow, Session>({});

export async function insertSession(db: Executor, session: Session): Promise<void> {
  await db.insertInto('sessions').values(sessions.toRow(session)).execute();
}

export async function findSession(db: Executor, idDigest: string): Promise<Session | undefined> {
  const row = await db.selectFrom('sessions').selectAll().where('id_digest', '=', idDigest).executeTakeFirst();
  return row && sessions.fromRow(row);
}

export async function deleteSession(db: Executor, idDigest: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_digest', '=', idDigest).execute();
}

export async function deleteSessionsOfUser(db: Executor, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/** Sessions past their end: they are refused anyway; this keeps the table from growing. */
export async function deleteExpiredSessions(db: Executor, nowMs: number): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', nowMs).execute();
}
