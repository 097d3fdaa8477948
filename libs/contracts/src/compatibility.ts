import type { JsonSchema } from './json-schema';

export interface CompatibilityProblem {
  readonly path: string;
  readonly problem:
    'removed_property' | 'changed_type' | 'new_required_property' | 'narrowed_enum' | 'narrowed_constraint';
  readonly detail: string;
}

type Schema = Record<string, unknown>;

const asSchema = (value: unknown): Schema | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Schema) : undefined;

const typesOf = (schema: Schema): string[] =>
  schema.type === undefined ? [] : Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];

const NARROWING_KEYWORDS = ['format', 'pattern', 'const'] as const;

/**
 * Finds the changes of `current` that a reader of `published` data (or a consumer built against
 * the published schema) would break on. Additions of optional properties and widenings pass.
 */
export const findIncompatibilities = (
  published: JsonSchema,
  current: JsonSchema,
  path = '',
): CompatibilityProblem[] => {
  const problems: CompatibilityProblem[] = [];
  const before = published as Schema;
  const after = current as Schema;
  const here = path || '/';

  const beforeTypes = typesOf(before);
  const afterTypes = typesOf(after);
  const widenedToNumber = (t: string) => t === 'integer' && afterTypes.includes('number');
  const lostTypes = beforeTypes.filter((t) => afterTypes.length > 0 && !afterTypes.includes(t) && !widenedToNumber(t));
  if (lostTypes.length > 0) {
    problems.push({
      path: here,
      problem: 'changed_type',
      detail: `type ${JSON.stringify(before.type)} became ${JSON.stringify(after.type)}`,
    });
  }

  if (Array.isArray(before.enum) || Array.isArray(after.enum)) {
    const allowedBefore = Array.isArray(before.enum) ? before.enum : undefined;
    const allowedAfter = Array.isArray(after.enum) ? after.enum : undefined;
    if (allowedAfter && !allowedBefore) {
      problems.push({
        path: here,
        problem: 'narrowed_enum',
        detail: `now restricted to ${JSON.stringify(allowedAfter)}`,
      });
    } else if (allowedAfter && allowedBefore) {
      const dropped = allowedBefore.filter((v) => !allowedAfter.includes(v));
      if (dropped.length > 0) {
        problems.push({ path: here, problem: 'narrowed_enum', detail: `values removed: ${JSON.stringify(dropped)}` });
      }
    }
  }

  for (const keyword of NARROWING_KEYWORDS) {
    if (after[keyword] !== undefined && JSON.stringify(after[keyword]) !== JSON.stringify(before[keyword])) {
      problems.push({
        path: here,
        problem: 'narrowed_constraint',
        detail: `${keyword} ${JSON.stringify(before[keyword])} became ${JSON.stringify(after[keyword])}`,
      });
    }
  }

  const beforeProps = asSchema(before.properties) ?? {};
  const afterProps = asSchema(after.properties) ?? {};
  for (const [name, schema] of Object.entries(beforeProps)) {
    const next = asSchema(afterProps[name]);
    if (!next) {
      problems.push({
        path: `${path}/${name}`,
        problem: 'removed_property',
        detail: `property '${name}' was removed or renamed`,
      });
    } else {
      problems.push(...findIncompatibilities(schema as JsonSchema, next, `${path}/${name}`));
    }
  }

  const requiredBefore = new Set(Array.isArray(before.required) ? (before.required as string[]) : []);
  for (const name of Array.isArray(after.required) ? (after.required as string[]) : []) {
    if (!requiredBefore.has(name)) {
      problems.push({ path: `${path}/${name}`, problem: 'new_required_property', detail: `'${name}' is now required` });
    }
  }

  if (before.additionalProperties !== false && after.additionalProperties === false) {
    problems.push({ path: here, problem: 'narrowed_constraint', detail: 'unknown properties are now refused' });
  }

  const beforeItems = asSchema(before.items);
  const afterItems = asSchema(after.items);
  if (beforeItems && afterItems) problems.push(...findIncompatibilities(beforeItems, afterItems, `${path}[]`));

  return problems;
};
