import { sql } from 'kysely';
import type { CustomRole } from '../core/model.js';
import type { Executor } from './db.js';
import { roles } from './orgs.js';

/** An org's custom roles, oldest first (there are few; the list is not paginated). */
export async function listRoles(db: Executor, orgId: string): Promise<CustomRole[]> {
  return (await db.selectFrom('roles').selectAll().where('org_id', '=', orgId).orderBy('id').execute()).map(roles.fromRow);
}

/** A custom role whose name equals `name` ignoring case. */
export async function findRoleByName(db: Executor, orgId: string, name: string): Promise<CustomRole | undefined> {
  const row = await db
    .selectFrom('roles')
    .selectAll()
    .where('org_id', '=', orgId)
    .where(sql<boolean>`lower(name) = ${name.toLowerCase()}`)
    .executeTakeFirst();
  return row && roles.fromRow(row);
}

export async function updateRole(db: Executor, role: Pick<CustomRole, 'id' | 'orgId' | 'name' | 'description' | 'permissions'>): Promise<void> {
  await db
    .updateTable('roles')
    .set(roles.toColumns({ name: role.name, description: role.description, permissions: role.permissions }))
    .where('org_id', '=', role.orgId)
    .where('id', '=', role.id)
    .execute();
}

export async function deleteRole(db: Executor, orgId: string, id: string): Promise<void> {
  await db.deleteFrom('roles').where('org_id', '=', orgId).where('id', '=', id).execute();
}
