import type { Member } from '../core/model.js';
import { isPostgres } from './engine.js';
import type { Executor } from './db.js';

function membersQuery(db: Executor, orgId: string) {
  return db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select([
      'memberships.org_id',
      'memberships.user_id',
      'memberships.role',
      'memberships.created_at',
      'users.email',
      'users.name',
      'users.type',
      'users.status',
    ])
    .where('memberships.org_id', '=', orgId);
}

type MemberRow = Awaited<ReturnType<ReturnType<typeof membersQuery>['executeTakeFirstOrThrow']>>;

function memberFromRow(row: MemberRow): Member {
  return {
    orgId: row.org_id,
    userId: row.user_id,
    role: row.role,
    createdAt: row.created_at,
    user: { id: row.user_id, email: row.email, name: row.name, type: row.type, status: row.status },
  };
}

/** An org's members in user id order (oldest account first) after `cursor`. */
export async function listMembers(db: Executor, orgId: string, options: { cursor?: string | undefined; limit: number }): Promise<Member[]> {
  let query = membersQuery(db, orgId);
  if (options.cursor !== undefined) query = query.where('memberships.user_id', '>', options.cursor);
  return (await query.orderBy('memberships.user_id').limit(options.limit).execute()).map(memberFromRow);
}

export async function findMember(db: Executor, orgId: string, userId: string): Promise<Member | undefined> {
  const row = await membersQuery(db, orgId).where('memberships.user_id', '=', userId).executeTakeFirst();
  return row && memberFromRow(row);
}

export async function updateMembershipRole(db: Executor, orgId: string, userId: string, role: string): Promise<void> {
  await db.updateTable('memberships').set({ role }).where('org_id', '=', orgId).where('user_id', '=', userId).execute();
}

export async function deleteMembership(db: Executor, orgId: string, userId: string): Promise<void> {
  await db.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
}

/** Active people holding `role` in an org, other than `exceptUserId` (the last-owner rule). */
export async function countOtherActiveHolders(db: Executor, orgId: string, role: string, exceptUserId: string): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('memberships.org_id', '=', orgId)
    .where('memberships.role', '=', role)
    .where('memberships.user_id', '!=', exceptUserId)
    .where('users.status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Members of any status holding `role` (a custom role cannot be deleted while held). */
export async function countHolders(db: Executor, orgId: string, role: string): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where('role', '=', role)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Row locks for checks that must hold until the transaction commits (PostgreSQL; SQLite runs one
 * transaction at a time). A user's standing in an org: their membership, taken for update so
 * concurrent mints count the cap one after another, and their user row, so a deactivation waits.
 */
export async function lockStanding(trx: Executor, orgId: string, userId: string): Promise<void> {
  if (!isPostgres(trx)) return;
  await trx.selectFrom('memberships').select('user_id').where('org_id', '=', orgId).where('user_id', '=', userId).forUpdate().execute();
  await trx.selectFrom('users').select('id').where('id', '=', userId).forShare().execute();
}

/**
 * Before a member's role changes or they leave: that member and the org's owners, locked, so "is
 * anyone else an owner?" is answered under lock (the last-owner rule). One statement in id order,
 * the member included even when not an owner: a transaction that later writes a row it did not
 * lock here could deadlock with one that did.
 */
export async function lockOwnersAnd(trx: Executor, orgId: string, userId: string): Promise<void> {
  if (!isPostgres(trx)) return;
  await trx
    .selectFrom('memberships')
    .select('user_id')
    .where('org_id', '=', orgId)
    .where((eb) => eb.or([eb('role', '=', 'owner'), eb('user_id', '=', userId)]))
    .orderBy('user_id')
    .forUpdate()
    .execute();
}
