import { sql, type Updateable } from 'kysely';
import type { Executor } from './db.js';
import type { RoleRow, RolesTable } from './schema.js';

/** An org's custom roles, oldest first (there are few; the list is not paginated). */
export async function listRoles(db: Executor, orgId: string): Promise<RoleRow[]> {
  return db.selectFrom('roles').selectAll().where('org_id', '=', orgId).orderBy('id').execute();
}

/** A custom role whose name equals `name` ignoring case. */
export async function findRoleByName(db: Executor, orgId: string, name: string): Promise<RoleRow | undefined> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('org_id', '=', orgId)
    .where(sql<boolean>`lower(name) = ${name.toLowerCase()}`)
    .executeTakeFirst();
}

export async function updateRole(db: Executor, orgId: string, id: string, change: Updateable<RolesTable>): Promise<void> {
  await db.updateTable('roles').set(change).where('org_id', '=', orgId).where('id', '=', id).execute();
}

export async function deleteRole(db: Executor, orgId: string, id: string): Promise<void> {
  await db.deleteFrom('roles').where('org_id', '=', orgId).where('id', '=', id).execute();
}
