import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../engine.js';

/**
 * The whole first schema. Column types are the portable subset: text, integer (bigint for
 * epoch milliseconds, which PostgreSQL needs) — the same migration runs on SQLite and PostgreSQL.
 * Ids, digests and action names compare bytewise on both (SQLite's default; `COLLATE "C"` on
 * PostgreSQL), since time-sortable ids are the pagination cursors and `token.*` is a range.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const key = isPostgres(db) ? sql`text collate "C"` : 'text';
  await db.schema
    .createTable('users')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('site_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('org_id', key)
    .addColumn('description', 'text')
    .addColumn('created_by', key)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('deactivated_at', 'bigint')
    .execute();
  await db.schema.createIndex('users_email').unique().on('users').column('email').execute();

  await db.schema
    .createTable('orgs')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', key, (c) => c.notNull().unique())
    .addColumn('plan', 'text', (c) => c.notNull())
    .addColumn('features', 'text', (c) => c.notNull())
    .addColumn('token_policy', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('roles')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('org_id', key, (c) => c.notNull().references('orgs.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('roles_org_name', ['org_id', 'name'])
    .execute();

  await db.schema
    .createTable('memberships')
    .addColumn('org_id', key, (c) => c.notNull().references('orgs.id'))
    .addColumn('user_id', key, (c) => c.notNull().references('users.id'))
    .addColumn('role', key, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['org_id', 'user_id'])
    .execute();
  await db.schema.createIndex('memberships_user').on('memberships').column('user_id').execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('org_id', key, (c) => c.notNull().references('orgs.id'))
    .addColumn('owner_id', key, (c) => c.notNull().references('users.id'))
    .addColumn('created_by', key, (c) => c.notNull())
    .addColumn('impersonation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('digest', key, (c) => c.notNull())
    .addColumn('hint', 'text', (c) => c.notNull())
    .addColumn('ip_allowlist', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .addColumn('last_used_ip', 'text')
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoked_reason', 'text')
    .addColumn('disabled_at', 'bigint')
    .addColumn('disabled_reason', 'text')
    .addColumn('rotated_from', key)
    .addColumn('replaced_by', key)
    .addColumn('expiring_notified_at', 'bigint')
    .addColumn('expired_notified_at', 'bigint')
    .execute();
  await db.schema.createIndex('tokens_digest').unique().on('tokens').column('digest').execute();
  await db.schema.createIndex('tokens_org_id').on('tokens').columns(['org_id', 'id']).execute();
  await db.schema.createIndex('tokens_owner').on('tokens').columns(['owner_id', 'org_id']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_digest', key, (c) => c.primaryKey())
    .addColumn('user_id', key, (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('org_id', key)
    .addColumn('action', key, (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', key)
    .addColumn('impersonator_id', key)
    .addColumn('target_type', key)
    .addColumn('target_id', key)
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_org_id').on('audit_events').columns(['org_id', 'id']).execute();

  await db.schema
    .createTable('verifiers')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('digest', key, (c) => c.notNull().unique())
    .addColumn('hint', 'text', (c) => c.notNull())
    .addColumn('created_by', key)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', key, (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['settings', 'verifiers', 'audit_events', 'sessions', 'tokens', 'memberships', 'roles', 'orgs', 'users']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
