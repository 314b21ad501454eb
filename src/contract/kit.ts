import { Type, type Static, type TSchema } from 'typebox';

/**
 * Schema building blocks of the contract. Enums are JSON Schema `enum`s with a type, and
 * nullable values type lists, never `anyOf` of one-value schemas: that is what OpenAPI tools
 * show as a choice, and what the response serializer writes without running a validator.
 */
export function StringEnum<const T extends string>(values: readonly T[], options: { description?: string; default?: T } = {}) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

export function NullableEnum<const T extends string>(values: readonly T[], options: { description?: string } = {}) {
  return Type.Unsafe<T | null>({ type: ['string', 'null'], enum: [...values, null], ...options });
}

/** A scalar schema that may also be null (`type: ['string', 'null']`). */
export function Nullable<T extends TSchema & { type: string }>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}

export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Nullable(Type.String({ format: 'date-time' }));
export const NullableString = Nullable(Type.String());

/** A reference to a shared schema (one with an `$id`), typed as the schema it names. */
export function Ref<T extends TSchema>(schema: T) {
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id !== 'string') throw new Error('Ref() needs a schema with an $id');
  return Type.Unsafe<Static<T>>(Type.Ref(id));
}

/** A list page on the wire (DESIGN §4): the items and the cursor of the next page, if any. */
export type PageOf<T> = { data: T[]; next_cursor: string | null };

/** A list page: `{data, next_cursor}` (DESIGN §4). */
export function Page<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), next_cursor: Nullable(Type.String({ description: 'Pass as cursor for the next page.' })) });
}

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
};

export const PageQuerySchema = Type.Object(PageQuery);

export const Id = (description: string) => Type.String({ maxLength: 64, description });

export const OrgParams = Type.Object({ org: Id('The org id (org_…).') });

/** Plan and feature names: lowercase identifiers the deployment defines. */
export const EntitlementName = Type.String({ pattern: '^[a-z][a-z0-9_]{0,49}$' });
