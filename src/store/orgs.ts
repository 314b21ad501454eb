import type { CustomRole, Membership, Org } from '../core/model.js';
import { isPermission, type Permission } from '../core/permissions.js';
import type { TokenPolicy } from '../core/policy.js';
import { json, rowMapper, type Codec } from './row-mapper.js';
import type { Executor } from './db.js';
import type { MembershipRow, OrgRow, RoleRow } from './schema.js';

/** A role's permissions as stored; one the deployment no longer knows is dropped on reading. */
const permissionList: Codec<string, Permission[]> = {
  fromRow: (text) => json<string[]>().fromRow(text).filter(isPermission),
  toRow: (permissions) => JSON.stringify(permissions),
};

export const orgs = rowMapper<OrgRow, Org>({ features: json<string[]>(), tokenPolicy: json<TokenPolicy>() });
const memberships = rowMapper<MembershipRow, Membership>({});
export const roles = rowMapper<RoleRow, CustomRole>({ permissions: permissionList });

export async function findOrgById(db: Executor, id: string): Promise<Org | undefined> {
  const row = await db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
  return row && orgs.fromRow(row);
}

export async function findOrgBySlug(db: Executor, slug: string): Promise<Org | undefined> {
  const row = await db.selectFrom('orgs').selectAll().where('slug', '=', slug).executeTakeFirst();
  return row && orgs.fromRow(row);
}

export async function insertOrg(db: Executor, org: Org): Promise<void> {
  await db.insertInto('orgs').values(orgs.toRow(org)).execute();
}

/** Writes an org's mutable fields. */
export async function updateOrg(db: Executor, org: Org): Promise<void> {
  const { id: _id, slug: _slug, created_at: _created, ...change } = orgs.toRow(org);
  await db.updateTable('orgs').set(change).where('id', '=', org.id).execute();
}

/** Orgs in id order after `cursor`, optionally only those `memberId` belongs to. */
export async function listOrgs(db: Executor, options: { memberId?: string | undefined; cursor?: string | undefined; limit: number }): Promise<Org[]> {
  let query = db.selectFrom('orgs').selectAll('orgs');
  if (options.memberId !== undefined) {
    query = query.innerJoin('memberships', 'memberships.org_id', 'orgs.id').where('memberships.user_id', '=', options.memberId);
  }
  if (options.cursor !== undefined) query = query.where('orgs.id', '>', options.cursor);
  return (await query.orderBy('orgs.id').limit(options.limit).execute()).map(orgs.fromRow);
}

/** Every org, for deployment-wide sweeps. */
export async function allOrgs(db: Executor): Promise<Org[]> {
  return (await db.selectFrom('orgs').selectAll().orderBy('id').execute()).map(orgs.fromRow);
}

export async function findMembership(db: Executor, orgId: string, userId: string): Promise<Membership | undefined> {
  const row = await db.selectFrom('memberships').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
  return row && memberships.fromRow(row);
}

export async function membershipsOfUser(db: Executor, userId: string): Promise<Membership[]> {
  return (await db.selectFrom('memberships').selectAll().where('user_id', '=', userId).orderBy('org_id').execute()).map(memberships.fromRow);
}

export async function insertMembership(db: Executor, membership: Membership): Promise<void> {
  await db.insertInto('memberships').values(memberships.toRow(membership)).execute();
}

export async function findRole(db: Executor, orgId: string, roleId: string): Promise<CustomRole | undefined> {
  const row = await db.selectFrom('roles').selectAll().where('org_id', '=', orgId).where('id', '=', roleId).executeTakeFirst();
  return row && roles.fromRow(row);
}

export async function insertRole(db: Executor, role: CustomRole): Promise<void> {
  await db.insertInto('roles').values(roles.toRow(role)).execute();
}
