import SQLite from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  sql,
  SqliteDialect,
  type Dialect,
  type Migration,
  type MigrationProvider,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import * as initial from './migrations/001-initial.js';
import * as clusterKeys from './migrations/002-cluster.js';
import * as ownerListIndex from './migrations/003-owner-list-index.js';
import * as webhooks from './migrations/004-webhooks.js';
import * as usageControls from './migrations/005-usage-controls.js';
import { isPostgres } from './engine.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
/** Anything a query can run on: the database or an open transaction. */
export type Executor = Db | Transaction<Database>;

/** Where the data lives: the embedded SQLite file, or a PostgreSQL server shared by a cluster. */
export type StoreLocation = { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string };

export function storeLocation(config: { databaseUrl: string | null; dataDir: string }): StoreLocation {
  return config.databaseUrl === null ? { engine: 'sqlite', file: join(config.dataDir, 'keyward.db') } : { engine: 'postgres', url: config.databaseUrl };
}

/** Migrations are imported, not read from disk, so they work from source and from dist alike. */
const MIGRATIONS: Record<string, Migration> = {
  '001-initial': initial,
  '002-cluster': clusterKeys,
  '003-owner-list-index': ownerListIndex,
  '004-webhooks': webhooks,
  '005-usage-controls': usageControls,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** bigint (int8) columns hold epoch milliseconds, far inside the exact range of a double. */
const PG_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)),
};

/** The Kysely dialect for a location; tests wrap its driver to interleave requests. */
export function dialectFor(location: StoreLocation, options: { poolSize?: number } = {}): Dialect {
  if (location.engine === 'postgres') {
    return new PostgresDialect({ pool: new pg.Pool({ connectionString: location.url, max: options.poolSize ?? 10, types: PG_TYPES }) });
  }
  return new SqliteDialect({ database: openSqliteFile(location.file) });
}

export function openDatabase(location: StoreLocation, options: { poolSize?: number } = {}): Db {
  return new Kysely<Database>({ dialect: dialectFor(location, options) });
}

/**
 * The embedded SQLite database in WAL mode, created if need be. The file holds every token
 * digest: only its owner may read it. SQLite creates the -wal and -shm files with the database
 * file's mode; older ones are narrowed here too.
 */
function openSqliteFile(file: string): SQLite.Database {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o600);
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return database;
}

export async function migrate(db: Db): Promise<void> {
  // On PostgreSQL the migrator must look for its own tables in this deployment's schema, not in
  // any schema of the database that happens to have them.
  const schema = isPostgres(db) ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const { error } = await new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

/** Readiness: the database answers a trivial query. */
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
