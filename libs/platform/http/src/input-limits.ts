import { ProblemError } from './problem';

/**
 * What any Kairos API accepts as input, whatever the route: the shape limits that keep parsing and
 * validation cheap, and the text rule that keeps unstorable strings out of events and databases.
 * Routes narrow these further with their DTOs; nothing widens them.
 */
export const INPUT_LIMITS = {
  /** A JSON body larger than this is refused with 413 before it is parsed. */
  jsonBodyBytes: 1024 * 1024,
  /** Objects and arrays nested deeper than this are refused (400). */
  maxDepth: 32,
  /** Arrays longer than this are refused (413). */
  maxArrayItems: 10_000,
  /** Objects with more properties than this are refused (413). */
  maxObjectKeys: 1_000,
} as const;

/** Property names that reach object prototypes when merged naively; no Kairos input uses them. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `text` cannot be stored, or undefined when it can: a NUL (PostgreSQL text refuses it, and
 * C consumers cut the string there) or a lone UTF-16 surrogate (not encodable as UTF-8, so it
 * would be silently replaced on its way into an event or a database).
 */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

const pointer = (path: readonly (string | number)[]): string => {
  if (path.length === 0) return '(the whole value)';
  const text = path.map((part) => String(part)).join('.');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
};

const badRequest = (where: string, field: string, message: string) =>
  new ProblemError(400, 'INPUT_REFUSED', 'Bad Request', `${where}: ${field} ${message}`, { errors: [{ field, messages: [message] }] });

const tooLarge = (where: string, field: string, message: string) =>
  new ProblemError(413, 'INPUT_TOO_LARGE', 'Content Too Large', `${where}: ${field} ${message}`, { errors: [{ field, messages: [message] }] });

/**
 * Walks a parsed input (a JSON body, path parameters, a query) without recursion and returns the
 * first reason to refuse it, or undefined when it is acceptable. `where` names the input in the
 * problem (`body`, `path`, `query`).
 */
export function inspectInput(value: unknown, where: string): ProblemError | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      const why = unstorableText(current);
      if (why) return badRequest(where, pointer(path), why);
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (path.length >= INPUT_LIMITS.maxDepth) {
      return badRequest(where, pointer(path.slice(0, 8)) + '…', `is nested deeper than ${INPUT_LIMITS.maxDepth} levels`);
    }
    if (Array.isArray(current)) {
      if (current.length > INPUT_LIMITS.maxArrayItems) {
        return tooLarge(where, pointer(path), `has more than ${INPUT_LIMITS.maxArrayItems} items`);
      }
      for (let index = current.length - 1; index >= 0; index--) stack.push({ value: current[index], path: [...path, index] });
      continue;
    }
    const keys = Object.keys(current);
    if (keys.length > INPUT_LIMITS.maxObjectKeys) {
      return tooLarge(where, pointer(path), `has more than ${INPUT_LIMITS.maxObjectKeys} properties`);
    }
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index]!;
      const keyProblem = unstorableText(key);
      if (keyProblem) return badRequest(where, `a property name in ${pointer(path)}`, keyProblem);
      if (FORBIDDEN_KEYS.has(key)) return badRequest(where, pointer([...path, key]), 'is not an accepted property name');
      stack.push({ value: (current as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}
