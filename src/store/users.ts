import type { User } from '../core/model.js';
import { BOOLEAN, rowMapper } from './row-mapper.js';
import type { Executor } from './db.js';
import type { UserRow } from './schema.js';

export const users = rowMapper<UserRow, User>({ siteAdmin: BOOLEAN });

export async function findUserById(db: Executor, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && users.fromRow(row);
}

export async function findUserByEmail(db: Executor, email: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
  return row && users.fromRow(row);
}

export async function insertUser(db: Executor, user: User): Promise<void> {
  await db.insertInto('users').values(users.toRow(user)).execute();
}

export async function countHumanUsers(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('type', '=', 'user')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function setUserStatus(db: Executor, id: string, status: User['status'], nowMs: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ status, deactivated_at: status === 'deactivated' ? nowMs : null })
    .where('id', '=', id)
    .execute();
}

/** Users of one type, newest first, before `cursor`; service accounts optionally of one org. */
export async function listUsers(
  db: Executor,
  options: { type: User['type']; orgId?: string | undefined; cursor?: string | undefined; limit: number },
): Promise<User[]> {
  let query = db.selectFrom('users').selectAll().where('type', '=', options.type);
  if (options.orgId !== undefined) query = query.where('org_id', '=', options.orgId);
  if (options.cursor !== undefined) query = query.where('id', '<', options.cursor);
  return (await query.orderBy('id', 'desc').limit(options.limit).execute()).map(users.fromRow);
}

/** The type (user or service account) of each owner, for the wire's `owner.type`. */
export async function userTypes(db: Executor, ids: readonly string[]): Promise<Map<string, User['type']>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'type']).where('id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [r.id, r.type]));
}
