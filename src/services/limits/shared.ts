import type { ServiceContext } from '../context.js';

/**
 * A failure this process counted, added to the count every process of a cluster shares (DESIGN §5
 * "Shared counters"); `raise` takes the cluster's total into this process's limiter. Nothing
 * waits for it: the refusal checks stay local map lookups, and each process learns the total on
 * the next failure it sees (so a cluster allows at most one more per process than the limit).
 */
export function shareHit(ctx: ServiceContext, key: string, windowMs: number, raise: (total: number, nowMs: number) => void): void {
  ctx.counters.addShared(key, windowMs, ctx.clock.now()).then(
    (total) => {
      if (total !== null) raise(total, ctx.clock.now());
    },
    (error: unknown) => ctx.log.warn({ err: error }, 'could not share a counted failure'),
  );
}

/** Forgets a shared count (a sign-in that succeeded clears its address's failures everywhere). */
export function clearShared(ctx: ServiceContext, key: string, windowMs: number): void {
  ctx.counters.clearShared(key, windowMs, ctx.clock.now()).catch((error: unknown) => ctx.log.warn({ err: error }, 'could not clear a shared count'));
}
