import { Conflict } from '../core/errors.js';
import { isUniqueViolation } from '../store/engine.js';

/**
 * Runs a write whose uniqueness was checked first; when a concurrent writer got there between the
 * check and the write (possible on PostgreSQL), the unique index refuses it and the caller gets
 * the same 409 the check would have given, never a 500.
 */
export async function conflictOnDuplicate<T>(message: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new Conflict(message);
    throw error;
  }
}
