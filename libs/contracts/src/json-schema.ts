/**
 * Small builders for the draft-07 JSON Schemas of the contracts. The schemas stay plain JSON
 * values (they are frozen into `published/` and copied into the AsyncAPI document), the builders
 * only keep them short and uniform.
 */
export type JsonSchema = { readonly [key: string]: unknown };

export const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

export const str = (description?: string): JsonSchema => ({
  type: 'string',
  minLength: 1,
  ...(description ? { description } : {}),
});

export const text = (description?: string): JsonSchema => ({
  type: 'string',
  ...(description ? { description } : {}),
});

export const instant = (description?: string): JsonSchema => ({
  type: 'string',
  format: 'date-time',
  ...(description ? { description } : {}),
});

export const isoDuration = (description?: string): JsonSchema => ({
  type: 'string',
  pattern: '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$',
  ...(description ? { description: `${description} (ISO 8601 duration)` } : { description: 'ISO 8601 duration' }),
});

export const int = (minimum = 0, description?: string): JsonSchema => ({
  type: 'integer',
  minimum,
  ...(description ? { description } : {}),
});

export const bool = (description?: string): JsonSchema => ({
  type: 'boolean',
  ...(description ? { description } : {}),
});

export const oneOf = (values: readonly string[], description?: string): JsonSchema => ({
  type: 'string',
  enum: [...values],
  ...(description ? { description } : {}),
});

export const arrayOf = (items: JsonSchema, description?: string): JsonSchema => ({
  type: 'array',
  items,
  ...(description ? { description } : {}),
});

/**
 * An object schema. Properties ending in `?` are optional, all others are required. Objects are
 * open (no `additionalProperties: false`) so consumers tolerate optional fields added later;
 * producers validate with `closed` schemas (see `closeSchema`) to catch typos.
 */
export const obj = (properties: Record<string, JsonSchema>, description?: string): JsonSchema => {
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
    ...(description ? { description } : {}),
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
