import type { Insertable } from 'kysely';
import type { Executor } from './db.js';
import type { UserRow, UsersTable } from './schema.js';

export async function findUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

export async function insertUser(db: Executor, user: Insertable<UsersTable>): Promise<void> {
  await db.insertInto('users').values(user).execute();
}

export async function countHumanUsers(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('type', '=', 'user')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function setUserStatus(
  db: Executor,
  id: string,
  status: UserRow['status'],
  nowMs: number,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ status, deactivated_at: status === 'deactivated' ? nowMs : null })
    .where('id', '=', id)
    .execute();
}

/** Users of one type, newest first, before `cursor`; service accounts optionally of one org. */
export async function listUsers(
  db: Executor,
  options: { type: UserRow['type']; orgId?: string | undefined; cursor?: string | undefined; limit: number },
): Promise<UserRow[]> {
  let query = db.selectFrom('users').selectAll().where('type', '=', options.type);
  if (options.orgId !== undefined) query = query.where('org_id', '=', options.orgId);
  if (options.cursor !== undefined) query = query.where('id', '<', options.cursor);
  return query.orderBy('id', 'desc').limit(options.limit).execute();
}
