/** The fields that differ between two versions of an object, as an audit event's details. */
export type FieldChanges = { before: Record<string, unknown>; after: Record<string, unknown> };

/** Compares field by field (by value, so arrays and objects too); null when nothing changed. */
export function changedFields<T extends object>(before: T, after: T): FieldChanges | null {
  const changes: FieldChanges = { before: {}, after: {} };
  for (const key of Object.keys(after) as (keyof T & string)[]) {
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    changes.before[key] = before[key];
    changes.after[key] = after[key];
  }
  return Object.keys(changes.after).length > 0 ? changes : null;
}
