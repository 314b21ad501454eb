import type { Kysely } from 'kysely';

/**
 * A member's own tokens are listed newest first (`owner_id`, `org_id`, then `id` descending): with
 * `id` in the index a page is one range scan, however many tokens the owner holds, instead of a
 * sort of all of them. Lookups by owner alone use its leading column as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('tokens_owner_org_id').on('tokens').columns(['owner_id', 'org_id', 'id']).execute();
  await db.schema.dropIndex('tokens_owner').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('tokens_owner').on('tokens').columns(['owner_id', 'org_id']).execute();
  await db.schema.dropIndex('tokens_owner_org_id').execute();
}
