import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL the suites use: `test` at 127.0.0.1:5432 here and in CI (trust auth). */
export const TEST_DATABASE_URL = process.env.KEYWARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Which store this run of the suite uses: the postgres project of vitest.config.ts sets it. */
export const TEST_STORE: 'sqlite' | 'postgres' = process.env.KEYWARD_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export type TestSchema = { url: string; name: string; drop(): Promise<void> };

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A schema of its own for one test app (or one group of processes), so parallel runs never
 * collide; its URL sets the search path. Dropped afterwards.
 */
export async function createSchema(): Promise<TestSchema> {
  const name = `kw_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`create schema ${name}`));
  const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${name}`)}`;
  return { url, name, drop: () => admin(async (client) => void (await client.query(`drop schema if exists ${name} cascade`))) };
}

/** Whether a PostgreSQL answers at the test URL (within a second). */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
