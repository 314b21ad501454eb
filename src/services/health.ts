import { ping } from '../store/db.js';
import type { ServiceContext } from './context.js';

export type Readiness = { ready: boolean; invalidation: ServiceContext['invalidate']['state']; counters: ServiceContext['counters']['state'] };

/**
 * Ready when the database answers. `invalidation` says whether this process may answer from its
 * caches: `local` (one process), `live` (a cluster's notifications arrive) or `degraded` (they may
 * be lost, so it reads the database for every verify; still correct, only slower). `counters` says
 * whether rate limits and credits can be counted; Redis being down does not make the process unready,
 * since tokens without limits are served as before.
 */
export async function readiness(ctx: ServiceContext): Promise<Readiness> {
  try {
    await ping(ctx.db);
    return { ready: true, invalidation: ctx.invalidate.state, counters: ctx.counters.state };
  } catch {
    return { ready: false, invalidation: ctx.invalidate.state, counters: ctx.counters.state };
  }
}
