import type { Insertable } from 'kysely';
import type { Executor } from './db.js';
import type { VerifierRow, VerifiersTable } from './schema.js';

export async function insertVerifier(db: Executor, verifier: Insertable<VerifiersTable>): Promise<void> {
  await db.insertInto('verifiers').values(verifier).execute();
}

export async function findVerifierById(db: Executor, id: string): Promise<VerifierRow | undefined> {
  return db.selectFrom('verifiers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A verifier's authentication: one probe of the unique digest index. */
export async function findVerifierByDigest(db: Executor, digest: string): Promise<VerifierRow | undefined> {
  return db.selectFrom('verifiers').selectAll().where('digest', '=', digest).executeTakeFirst();
}

/** Newest first: verifiers with an id below the cursor. */
export async function listVerifiers(db: Executor, options: { cursor?: string | undefined; limit: number }): Promise<VerifierRow[]> {
  let query = db.selectFrom('verifiers').selectAll();
  if (options.cursor !== undefined) query = query.where('id', '<', options.cursor);
  return query.orderBy('id', 'desc').limit(options.limit).execute();
}

export async function revokeVerifier(db: Executor, id: string, nowMs: number): Promise<void> {
  await db.updateTable('verifiers').set({ revoked_at: nowMs }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** Records a verifier's last use; never moves the time backwards. */
export async function touchVerifier(db: Executor, id: string, nowMs: number): Promise<void> {
  await db
    .updateTable('verifiers')
    .set({ last_used_at: nowMs })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', nowMs)]))
    .execute();
}
