/**
 * Small builders for the draft-07 JSON Schemas of the contracts. The schemas stay plain JSON
 * values (they are frozen into `published/` and copied into the AsyncAPI document), the builders
 * only keep them short and uniform.
 */
export type JsonSchema = { readonly [key: string]: unknown };

declare const described: unique symbol;
/**
 * A JSON Schema that also carries, for the compiler only, the TypeScript type of the values it
 * accepts: each contract is written once, as a schema, and its type is inferred (`Infer`). The
 * marker is a type-level symbol: the schema value stays plain JSON.
 */
export type Schema<T> = JsonSchema & { readonly [described]?: T };
/** The TypeScript type of the values a `Schema` accepts. */
export type Infer<S> = S extends Schema<infer T> ? T : never;
/** The data type of a catalogue entry (`{ schema }`) whose schema describes an object. */
export type DataOf<Entry> = Entry extends { readonly schema: Schema<infer D extends Record<string, unknown>> } ? D : never;

export const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

const withDescription = (description?: string) => (description ? { description } : {});

export const str = (description?: string): Schema<string> => ({
  type: 'string',
  minLength: 1,
  ...withDescription(description),
});

export const text = (description?: string): Schema<string> => ({
  type: 'string',
  ...withDescription(description),
});

export const instant = (description?: string): Schema<string> => ({
  type: 'string',
  format: 'date-time',
  ...withDescription(description),
});

export const isoDuration = (description?: string): Schema<string> => ({
  type: 'string',
  pattern: '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$',
  ...(description ? { description: `${description} (ISO 8601 duration)` } : { description: 'ISO 8601 duration' }),
});

export const int = (minimum = 0, description?: string): Schema<number> => ({
  type: 'integer',
  minimum,
  ...withDescription(description),
});

/** An integer out of a fixed list, e.g. a tier. */
export const intOf = <const V extends number>(values: readonly V[], description?: string): Schema<V> => ({
  type: 'integer',
  enum: [...values],
  ...withDescription(description),
});

export const bool = (description?: string): Schema<boolean> => ({
  type: 'boolean',
  ...withDescription(description),
});

export const oneOf = <const V extends string>(values: readonly V[], description?: string): Schema<V> => ({
  type: 'string',
  enum: [...values],
  ...withDescription(description),
});

export const arrayOf = <T>(items: Schema<T>, description?: string): Schema<readonly T[]> => ({
  type: 'array',
  items,
  ...withDescription(description),
});

/** An array with at least `min` items. */
export const arrayOfAtLeast = <T>(min: number, items: Schema<T>, description?: string): Schema<readonly T[]> => ({
  ...arrayOf(items, description),
  minItems: min,
});

type Properties = { readonly [key: string]: Schema<unknown> };
type RequiredName<K> = K extends `${string}?` ? never : K;
type OptionalName<K> = K extends `${infer Name}?` ? Name : never;
type Flat<T> = { [K in keyof T]: T[K] } & {};
/** The object type an `obj` schema describes: `name?` keys optional, all others required, all read-only. */
export type ObjectOf<P extends Properties> = Flat<
  { readonly [K in keyof P as RequiredName<K>]: Infer<P[K]> } & {
    readonly [K in keyof P as OptionalName<K>]?: Infer<P[K]>;
  }
>;

/**
 * An object schema. Properties ending in `?` are optional, all others are required. Objects are
 * open (no `additionalProperties: false`) so consumers tolerate optional fields added later;
 * producers validate with `closed` schemas (see `closeSchema`) to catch typos.
 */
export const obj = <const P extends Properties>(properties: P, description?: string): Schema<ObjectOf<P>> => {
  const props: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, schema] of Object.entries(properties)) {
    const optional = key.endsWith('?');
    const name = optional ? key.slice(0, -1) : key;
    props[name] = schema;
    if (!optional) required.push(name);
  }
  return {
    type: 'object',
    ...withDescription(description),
    properties: props,
    required,
  };
};

/** A copy of the schema where every object with declared properties refuses unknown ones. */
export const closeSchema = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(closeSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, closeSchema(v)]));
    } else if (key === 'enum' || key === 'required' || key === 'const') {
      out[key] = value;
    } else {
      out[key] = closeSchema(value);
    }
  }
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
};
