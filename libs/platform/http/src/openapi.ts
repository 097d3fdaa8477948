import { applyDecorators, type INestApplication } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  DocumentBuilder,
  getSchemaPath,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'justification' }) field!: string;
  @ApiProperty({ type: [String], example: ['justification is required'] }) messages!: string[];
}

export class PolicyProblemItemDto {
  @ApiPropertyOptional({ description: 'the item the problem is about; absent when it concerns the whole request' }) itemId?: string;
  @ApiProperty({ description: 'a stable code of the policy engine, e.g. NOT_ALLOWED_TO_REQUEST, DURATION_OVER_MAXIMUM' }) code!: string;
  @ApiProperty() message!: string;
}

/**
 * RFC 9457 problem details as every Kairos service answers them (see ProblemFilter). `code` is
 * stable and meant for clients to switch on; the other extensions appear when they apply.
 */
export class ProblemDto {
  @ApiProperty({ example: 'https://kairos.dev/problems/validation-failed' }) type!: string;
  @ApiProperty({ example: 'Bad Request' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiPropertyOptional() detail?: string;
  @ApiPropertyOptional({ description: 'the path that was asked for' }) instance?: string;
  @ApiProperty({ example: 'VALIDATION_FAILED' }) code!: string;
  @ApiPropertyOptional({ description: 'quote it when reporting a problem: the logs carry the same id' }) correlationId?: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'each field that is not valid, with why' }) errors?: FieldErrorDto[];
  @ApiPropertyOptional({ type: [PolicyProblemItemDto], description: 'what policy refuses, item by item' })
  problems?: PolicyProblemItemDto[];
  @ApiPropertyOptional({ type: Object, description: 'details of a refusal of the request lifecycle' }) details?: Record<string, unknown>;
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: 'The input is not valid (problem+json, `errors` names each field)',
  401: 'No valid bearer token',
  403: 'The caller may not do this',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'The body is too large',
  415: 'The body is not UTF-8 JSON (or another accepted media type)',
  422: 'Understood but refused (policy or lifecycle rules)',
  500: 'An unexpected error; quote the correlation id',
  501: 'Not available yet',
  502: 'An upstream service answered wrongly',
  503: 'A dependency is unavailable; retry after the Retry-After header',
};

const problemContent = () => ({ [PROBLEM_MEDIA_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } });

/** Documents problem+json answers of a route (or of every route of a controller) for these statuses. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...statuses.map((status) =>
      ApiResponse({ status, description: STATUS_DESCRIPTIONS[status] ?? `HTTP ${status}`, content: problemContent() }),
    ),
  );
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

interface OperationLike {
  parameters?: unknown[];
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, unknown>;
}

/**
 * Every operation answers problem+json on error, so every operation says so: 401 and 403 for
 * authenticated routes, 400 where there is input, 413 and 415 where there is a body, 500 and 503
 * always.
 * Routes add their own (404, 409, 422…) with `ApiProblems`.
 */
export function withProblemResponses(document: OpenAPIObject): OpenAPIObject {
  const problem = { content: problemContent() };
  const globallySecured = (document.security ?? []).length > 0;
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, OperationLike | undefined>)[method];
      if (!operation) continue;
      if (operation.parameters) operation.parameters = oneParameterPerHeader(operation.parameters);
      const secured = operation.security ? operation.security.length > 0 : globallySecured;
      const statuses = [
        ...((operation.parameters ?? []).length > 0 || operation.requestBody ? [400] : []),
        ...(secured ? [401, 403] : []),
        ...(operation.requestBody ? [413, 415] : []),
        500,
        503,
      ];
      for (const status of statuses) {
        operation.responses[String(status)] ??= { description: STATUS_DESCRIPTIONS[status], ...problem };
      }
    }
  }
  return document;
}

/**
 * Header names are case-insensitive: a header read with `@Headers('idempotency-key')` and documented
 * with `@ApiHeader({ name: 'Idempotency-Key' })` is one parameter, the documented one.
 */
function oneParameterPerHeader(parameters: unknown[]): unknown[] {
  type Parameter = { in?: string; name?: string; description?: string };
  const documented = new Map<string, Parameter>();
  for (const parameter of parameters as Parameter[]) {
    if (parameter.in !== 'header' || !parameter.name) continue;
    const key = parameter.name.toLowerCase();
    const kept = documented.get(key);
    if (!kept || (!kept.description && parameter.description)) documented.set(key, parameter);
  }
  return (parameters as Parameter[]).filter(
    (parameter) => parameter.in !== 'header' || !parameter.name || documented.get(parameter.name.toLowerCase()) === parameter,
  );
}

export interface OpenApiOptions {
  readonly title: string;
  readonly description: string;
  readonly version?: string;
}

/** A service's OpenAPI document, as served at /docs-json and exported to api/openapi. */
export function buildOpenApiDocument(app: INestApplication, options: OpenApiOptions): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(options.title)
      .setDescription(options.description)
      .setVersion(options.version ?? '0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addSecurityRequirements('bearer')
      .build(),
    { extraModels: [ProblemDto] },
  );
  return withProblemResponses(document);
}
