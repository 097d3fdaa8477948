import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ProblemError } from './problem';

export interface FieldError {
  readonly field: string;
  readonly messages: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
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
      return new ProblemError(400, 'VALIDATION_FAILED', 'Bad Request', `${fields.length} field(s) are not valid`, { errors: fields });
    },
  });
}
