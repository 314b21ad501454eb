import { sql } from 'kysely';
import { seal, unseal } from '../core/sealing.js';
import { isPostgres } from './engine.js';
import type { Executor } from './db.js';
import type { StoredSigningKey } from './key-files.js';

const PURPOSE = 'signing-keys';

/** The JWT signing keys every process of the deployment shares, oldest first, their private halves opened. */
export async function listSigningKeys(db: Executor, sealingKey: Buffer): Promise<StoredSigningKey[]> {
  const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
  return rows.map((row) => ({
    kid: row.kid,
    created_at: row.created_at,
    public_jwk: JSON.parse(row.public_jwk) as Record<string, string>,
    private_jwk: JSON.parse(unseal(sealingKey, row.sealed_private_jwk, PURPOSE)) as Record<string, string>,
  }));
}

/** Adds a key unless one with its kid exists (two processes importing the same file). */
export async function insertSigningKey(db: Executor, key: StoredSigningKey, sealingKey: Buffer): Promise<void> {
  await db
    .insertInto('signing_keys')
    .values({
      kid: key.kid,
      created_at: key.created_at,
      public_jwk: JSON.stringify(key.public_jwk),
      sealed_private_jwk: seal(sealingKey, JSON.stringify(key.private_jwk), PURPOSE),
    })
    .onConflict((oc) => oc.column('kid').doNothing())
    .execute();
}

/** Serializes the first-start check-and-create across processes (SQLite's transactions already are). */
export async function lockSigningKeys(trx: Executor): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(hashtext('keyward:signing-keys'))`.execute(trx);
}
