import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { AccessRequestEventOf, AccessRequestEventType } from './access-request-events';
import { accessRequestEventCatalogue, isAccessRequestEventType } from './access-request-events.catalogue';
import { internalMessageCatalogue, type InternalTopic, type InternalTopicMessages } from './internal-messages';
import { closeSchema, type JsonSchema } from './json-schema';

export interface ValidationError {
  /** JSON pointer into the data, '' for the root. */
  readonly path: string;
  readonly message: string;
}

export type ValidationResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly ValidationError[] };

export interface ValidationOptions {
  /** Refuse properties the schema does not declare. Producers use it; consumers do not. */
  readonly closed?: boolean;
}

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);

const compiled = new Map<string, ValidateFunction>();

const validatorFor = (key: string, schema: JsonSchema, closed: boolean): ValidateFunction => {
  const cacheKey = `${key}|${closed ? 'closed' : 'open'}`;
  let validate = compiled.get(cacheKey);
  if (!validate) {
    validate = ajv.compile((closed ? closeSchema(schema) : schema) as object);
    compiled.set(cacheKey, validate);
  }
  return validate;
};

const toErrors = (errors: ErrorObject[] | null | undefined): ValidationError[] =>
  (errors ?? []).map((e) => ({
    path: e.instancePath,
    message:
      e.keyword === 'additionalProperties'
        ? `unknown property '${(e.params as { additionalProperty: string }).additionalProperty}'`
        : (e.message ?? e.keyword),
  }));

const run = <T>(key: string, schema: JsonSchema, data: unknown, options?: ValidationOptions): ValidationResult<T> => {
  const validate = validatorFor(key, schema, options?.closed ?? false);
  return validate(data) ? { ok: true, value: data as T } : { ok: false, errors: toErrors(validate.errors) };
};

/** Checks an event's data against the current schema of its type. */
export function validateEvent<T extends AccessRequestEventType>(
  type: T,
  data: unknown,
  options?: ValidationOptions,
): ValidationResult<AccessRequestEventOf<T>['data']>;
export function validateEvent(type: string, data: unknown, options?: ValidationOptions): ValidationResult<unknown>;
export function validateEvent(type: string, data: unknown, options?: ValidationOptions): ValidationResult<unknown> {
  if (!isAccessRequestEventType(type))
    return { ok: false, errors: [{ path: '', message: `unknown event type '${type}'` }] };
  return run(`event:${type}`, accessRequestEventCatalogue[type].schema, data, options);
}

/** Checks a message of an internal topic; the result is the typed message. */
export function validateMessage<Topic extends InternalTopic>(
  topic: Topic,
  type: string,
  data: unknown,
  options?: ValidationOptions,
): ValidationResult<InternalTopicMessages[Topic]> {
  const catalogue = internalMessageCatalogue[topic] as Record<string, { schema: JsonSchema }> | undefined;
  if (!catalogue) return { ok: false, errors: [{ path: '', message: `unknown topic '${topic}'` }] };
  const entry = Object.prototype.hasOwnProperty.call(catalogue, type) ? catalogue[type] : undefined;
  if (!entry) return { ok: false, errors: [{ path: '', message: `unknown message type '${type}' on '${topic}'` }] };
  const result = run<InternalTopicMessages[Topic]['data']>(`${topic}:${type}`, entry.schema, data, options);
  return result.ok ? { ok: true, value: { type, data: result.value } as InternalTopicMessages[Topic] } : result;
}

export const formatValidationErrors = (errors: readonly ValidationError[]): string =>
  errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ');
