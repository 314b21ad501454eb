import type { Verifier } from '../core/model.js';
import { rowMapper } from './row-mapper.js';
import type { Executor } from './db.js';
import type { VerifierRow } from './schema.js';

const verifiers = rowMapper<VerifierRow, Verifier>({});

export async function insertVerifier(db: Executor, verifier: Verifier): Promise<void> {
  await db.insertInto('verifiers').values(verifiers.toRow(verifier)).execute();
}

export async function findVerifierById(db: Executor, id: string): Promise<Verifier | undefined> {
  const row = await db.selectFrom('verifiers').selectAll().where('id', '=', id).executeTakeFirst();
  return row && verifiers.fromRow(row);
}

/** A verifier's authentication: one probe of the unique digest index. */
export async function findVerifierByDigest(db: Executor, digest: string): Promise<Verifier | undefined> {
  const row = await db.selectFrom('verifiers').selectAll().where('digest', '=', digest).executeTakeFirst();
  return row && verifiers.fromRow(row);
}

/** Newest first: verifiers with an id below the cursor. */
export async function listVerifiers(db: Executor, options: { cursor?: string | undefined; limit: number }): Promise<Verifier[]> {
  let query = db.selectFrom('verifiers').selectAll();
  if (options.cursor !== undefined) query = query.where('id', '<', options.cursor);
  return (await query.orderBy('id', 'desc').limit(options.limit).execute()).map(verifiers.fromRow);
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
