import { ping } from '../store/db.js';
import type { ServiceContext } from './context.js';

export type Readiness = { ready: boolean; invalidation: ServiceContext['invalidate']['state'] };

/**
 * Ready when the database answers. `invalidation` says whether this process may answer from its
 * caches: `local` (one process), `live` (a cluster's notifications arrive) or `degraded` (they may
 * be lost, so it reads the database for every verify; still correct, only slower).
 */
export async function readiness(ctx: ServiceContext): Promise<Readiness> {
  try {
    await ping(ctx.db);
    return { ready: true, invalidation: ctx.invalidate.state };
  } catch {
    return { ready: false, invalidation: ctx.invalidate.state };
  }
}
