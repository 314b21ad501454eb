import { ping } from '../store/db.js';
import type { ServiceContext } from './context.js';

/** Ready when the database answers. */
export async function isReady(ctx: ServiceContext): Promise<boolean> {
  try {
    await ping(ctx.db);
    return true;
  } catch {
    return false;
  }
}
