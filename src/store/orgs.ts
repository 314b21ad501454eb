import type { TokenPolicy } from '../core/policy.js';
import type { Insertable, Updateable } from 'kysely';
import type { Executor } from './db.js';
import type { MembershipRow, MembershipsTable, OrgRow, OrgsTable, RoleRow, RolesTable } from './schema.js';

export async function findOrgById(db: Executor, id: string): Promise<OrgRow | undefined> {
  return db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findOrgBySlug(db: Executor, slug: string): Promise<OrgRow | undefined> {
  return db.selectFrom('orgs').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function insertOrg(db: Executor, org: Insertable<OrgsTable>): Promise<void> {
  await db.insertInto('orgs').values(org).execute();
}

export async function updateOrg(db: Executor, id: string, change: Updateable<OrgsTable>): Promise<void> {
  await db.updateTable('orgs').set(change).where('id', '=', id).execute();
}

/** Orgs in id order after `cursor`, optionally only those `userId` belongs to. */
export async function listOrgs(
  db: Executor,
  options: { memberId?: string; cursor?: string; limit: number },
): Promise<OrgRow[]> {
  let query = db.selectFrom('orgs').selectAll('orgs');
  if (options.memberId !== undefined) {
    query = query
      .innerJoin('memberships', 'memberships.org_id', 'orgs.id')
      .where('memberships.user_id', '=', options.memberId);
  }
  if (options.cursor !== undefined) query = query.where('orgs.id', '>', options.cursor);
  return query.orderBy('orgs.id').limit(options.limit).execute();
}

export async function findMembership(db: Executor, orgId: string, userId: string): Promise<MembershipRow | undefined> {
  return db
    .selectFrom('memberships')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

export async function membershipsOfUser(db: Executor, userId: string): Promise<MembershipRow[]> {
  return db.selectFrom('memberships').selectAll().where('user_id', '=', userId).orderBy('org_id').execute();
}

export async function insertMembership(db: Executor, membership: Insertable<MembershipsTable>): Promise<void> {
  await db.insertInto('memberships').values(membership).execute();
}

export async function findRole(db: Executor, orgId: string, roleId: string): Promise<RoleRow | undefined> {
  return db.selectFrom('roles').selectAll().where('org_id', '=', orgId).where('id', '=', roleId).executeTakeFirst();
}

export async function insertRole(db: Executor, role: Insertable<RolesTable>): Promise<void> {
  await db.insertInto('roles').values(role).execute();
}

/** An org as the services see it: JSON columns parsed. */
export type Org = {
  id: string;
  name: string;
  slug: string;
  plan: string;
  features: string[];
  tokenPolicy: TokenPolicy;
  createdAt: number;
  updatedAt: number;
};

export function orgFromRow(row: OrgRow): Org {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    plan: row.plan,
    features: JSON.parse(row.features) as string[],
    tokenPolicy: JSON.parse(row.token_policy) as TokenPolicy,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Every org, for deployment-wide sweeps. */
export async function allOrgs(db: Executor): Promise<Org[]> {
  return (await db.selectFrom('orgs').selectAll().orderBy('id').execute()).map(orgFromRow);
}
