import { newId } from '../core/ids.js';
import { sealingKey } from '../core/sealing.js';
import type { Config } from '../config.js';
import type { Db } from '../store/db.js';
import { newSigningKey, readSigningKeyFile, signingKeyFromPem, type StoredSigningKey } from '../store/key-files.js';
import { insertSigningKey, listSigningKeys, lockSigningKeys } from '../store/signing-keys.js';
import type { ServiceContext } from './context.js';

/**
 * The JWT signing keys. Given by the environment (`KEYWARD_SIGNING_KEY`, the same in every
 * process), or kept in the database with their private halves sealed by a key derived from the
 * pepper, so every process of a cluster signs and verifies alike and a rotation reaches them all.
 */
export async function loadSigningKeys(db: Db, config: Config, pepper: Buffer, nowMs: number): Promise<StoredSigningKey[]> {
  if (config.signingKey) return [signingKeyFromPem(config.signingKey, nowMs)];
  const key = sealingKey(pepper, 'signing-keys');
  const keys = await openKeys(db, key);
  if (keys.length > 0) return keys;
  // The first start: one process makes the first key (or imports an older data directory's).
  await db.transaction().execute(async (trx) => {
    await lockSigningKeys(trx);
    if ((await listSigningKeys(trx, key)).length > 0) return;
    const imported = config.databaseUrl === null ? readSigningKeyFile(config.dataDir) : [];
    for (const stored of imported.length > 0 ? imported : [newSigningKey(newId('key', nowMs), nowMs)]) await insertSigningKey(trx, stored, key);
  });
  return openKeys(db, key);
}

async function openKeys(db: Db, key: Buffer): Promise<StoredSigningKey[]> {
  try {
    return await listSigningKeys(db, key);
  } catch (error) {
    if (error instanceof Error && /unsupported state|authenticate/i.test(error.message)) {
      throw new Error('cannot open the JWT signing keys: KEYWARD_PEPPER is not the pepper they were sealed with');
    }
    throw error;
  }
}

/** A new signing key signs from now on; the old ones keep verifying the tokens they signed. */
export async function rotateSigningKey(ctx: ServiceContext): Promise<string> {
  if (ctx.config.signingKey) throw new Error('the signing key comes from KEYWARD_SIGNING_KEY: change it there');
  // Strictly after the newest key, so "newest signs" holds even within one millisecond.
  const at = Math.max(ctx.clock.now(), ctx.jwtKeys.currentCreatedAt + 1);
  const stored = newSigningKey(newId('key', at), at);
  await insertSigningKey(ctx.db, stored, sealingKey(ctx.pepper, 'signing-keys'));
  await reloadSigningKeys(ctx);
  ctx.invalidate.signingKeys();
  return stored.kid;
}

/** Picks up keys another process added. */
export async function reloadSigningKeys(ctx: ServiceContext): Promise<void> {
  if (ctx.config.signingKey) return;
  ctx.jwtKeys.replace(await openKeys(ctx.db, sealingKey(ctx.pepper, 'signing-keys')));
}
