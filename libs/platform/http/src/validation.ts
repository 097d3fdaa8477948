import { ValidationPipe, type ArgumentMetadata, type PipeTransform, type ValidationError } from '@nestjs/common';
import { ValidateIf, type ValidationOptions } from 'class-validator';
import { inspectInput } from './input-limits';
import { ProblemError } from './problem';

export interface FieldError {
  readonly field: string;
  readonly messages: string[];
}

/** A problem lists at most this many fields; a body with thousands of bad entries gets the first ones. */
const MAX_LISTED_FIELDS = 100;

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    // A property that is absent but has constraints is a required one: say so, not what shape it should have had.
    const own = error.constraints ? [{ field, messages: error.value === undefined ? [`${field} is required`] : Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** class-validator errors become one 400 problem listing each bad field. Unknown fields are refused. */
export function problemValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', `${fields.length} field(s) are not valid`, {
        errors: fields.slice(0, MAX_LISTED_FIELDS),
      });
    },
  });
}

/**
 * Every body, path parameter and query a route binds passes the platform's input rule first (no
 * NUL, no lone surrogate, bounded depth and sizes: see `inspectInput`), whatever its DTO says, so
 * such text never reaches a decider, an event or a database.
 */
export class InputTextPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body' && metadata.type !== 'param' && metadata.type !== 'query') return value;
    const where = metadata.type === 'param' ? 'path' : metadata.type;
    const problem = inspectInput(value, metadata.data ? `${where} ${metadata.data}` : where);
    if (problem) throw problem;
    return value;
  }
}

/**
 * Use instead of `@IsOptional()`: the property may be left out, but when it is sent it must be
 * valid. `@IsOptional()` also lets `null` through, and a `null` reason or comment then builds an
 * event its schema refuses (a 500 instead of a 400).
 */
export function IsOmittable(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object: unknown, value: unknown) => value !== undefined, options);
}
