/**
 * Epoch milliseconds as ISO 8601 for the wire. `Number()` because a bigint column may come back
 * from the driver as a string.
 */
export function isoRequired(ms: number): string {
  return new Date(Number(ms)).toISOString();
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : isoRequired(ms);
}
