import type { Insertable } from 'kysely';
import type { Executor } from './db.js';
import type { SessionRow, SessionsTable } from './schema.js';

export async function insertSession(db: Executor, session: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(session).execute();
}

export async function findSession(db: Executor, idDigest: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id_digest', '=', idDigest).executeTakeFirst();
}

export async function deleteSession(db: Executor, idDigest: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_digest', '=', idDigest).execute();
}

export async function deleteSessionsOfUser(db: Executor, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}
