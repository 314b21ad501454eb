import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../engine.js';

/**
 * What a cluster shares beyond the data: the JWT signing keys (their private halves sealed with a
 * key derived from the pepper, which never enters the database) and the invalidation version, a
 * counter every cache-invalidating change bumps so a process that missed notifications can tell.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const key = isPostgres(db) ? sql`text collate "C"` : 'text';
  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', key, (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('sealed_private_jwk', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('invalidations')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into invalidations (id, version) values (1, 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('invalidations').execute();
  await db.schema.dropTable('signing_keys').execute();
}
