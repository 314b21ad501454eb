/** Epoch milliseconds as ISO 8601 for the wire. */
export function isoRequired(ms: number): string {
  return new Date(ms).toISOString();
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : isoRequired(ms);
}
