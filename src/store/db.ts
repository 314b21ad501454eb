import SQLite from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { Kysely, Migrator, sql, SqliteDialect, type Migration, type MigrationProvider, type Transaction } from 'kysely';
import * as initial from './migrations/001-initial.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
/** Anything a query can run on: the database or an open transaction. */
export type Executor = Db | Transaction<Database>;

/** Migrations are imported, not read from disk, so they work from source and from dist alike. */
const MIGRATIONS: Record<string, Migration> = {
  '001-initial': initial,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * Opens (creating if need be) the embedded SQLite database in WAL mode. The file is the server's
 * secrets' neighbour and holds every token digest: only its owner may read it. SQLite creates the
 * -wal and -shm files with the database file's mode; older ones are narrowed here too.
 */
export function openSqlite(file: string): Db {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o600);
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

export async function migrate(db: Db): Promise<void> {
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

/** Readiness: the database answers a trivial query. */
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
