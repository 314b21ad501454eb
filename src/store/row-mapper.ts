/**
 * Rows ↔ domain objects, once per table: a snake_case column becomes the camelCase field of the
 * same name, and the columns whose type differs between the engines' storage and the domain
 * (0/1 booleans, JSON text, bigints) go through a codec. The types make a codec required exactly
 * where the two types differ, so a new column cannot slip through unconverted.
 */

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

type Camelized<Row> = { [K in keyof Row & string as CamelCase<K>]: Row[K] };

export type Codec<Stored, Domain> = { fromRow(value: Stored): Domain; toRow(value: Domain): Stored };

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** The domain fields that need a codec: their column is missing or of another type. */
type NeedsCodec<Row, D> = {
  [K in keyof D]: K extends keyof Camelized<Row> ? (Same<Camelized<Row>[K], D[K]> extends true ? never : K) : K;
}[keyof D];

type Codecs<Row, D> = {
  [K in NeedsCodec<Row, D>]: Codec<K extends keyof Camelized<Row> ? Camelized<Row>[K] : never, D[K]>;
};

export type RowMapper<Row, D> = { fromRow(row: Row): D; toRow(value: D): Row; toColumns(change: Partial<D>): Partial<Row> };

const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (column: string) => column.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

export function rowMapper<Row extends object, D extends object>(codecs: Codecs<Row, D>): RowMapper<Row, D> {
  const byField = codecs as Record<string, Codec<unknown, unknown> | undefined>;
  const convert = (source: object, name: (key: string) => string, direction: 'fromRow' | 'toRow', codecOf: (key: string) => string) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(source)) {
      if (value === undefined) continue;
      const codec = byField[codecOf(key)];
      out[name(key)] = codec ? codec[direction](value) : value;
    }
    return out;
  };
  return {
    fromRow: (row) => convert(row, camel, 'fromRow', camel) as D,
    toRow: (value) => convert(value, snake, 'toRow', (key) => key) as Row,
    toColumns: (change) => convert(change, snake, 'toRow', (key) => key) as Partial<Row>,
  };
}

/** 0/1 in the store, a boolean in the domain. */
export const BOOLEAN: Codec<number, boolean> = { fromRow: (value) => value === 1, toRow: (value) => (value ? 1 : 0) };

/** JSON text in the store (both engines store it alike), parsed in the domain. */
export function json<T>(): Codec<string, T> {
  return { fromRow: (text) => JSON.parse(text) as T, toRow: (value) => JSON.stringify(value) };
}

/** JSON text or null in the store, parsed or null in the domain. */
export function nullableJson<T>(): Codec<string | null, T | null> {
  return { fromRow: (text) => (text === null ? null : (JSON.parse(text) as T)), toRow: (value) => (value === null ? null : JSON.stringify(value)) };
}
