import { Catch, HttpException, Inject, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuthenticationError, AuthorizationError } from '@kairos/auth';
import { currentCorrelationId, dependencyOutage, JsonLogger } from '@kairos/observability';
import { Refusal, type RefusalKind } from '@kairos/refusal';
import { PROBLEM_MAPPERS, ProblemError, problemType, type ProblemMapper } from './problem';

/** The one place a use case's refusal becomes an HTTP status. */
const REFUSAL_STATUS: Record<RefusalKind, { readonly status: number; readonly title: string }> = {
  invalid: { status: 400, title: 'Bad Request' },
  unauthenticated: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not Found' },
  conflict: { status: 409, title: 'Conflict' },
  unprocessable: { status: 422, title: 'Unprocessable Content' },
  upstream_failed: { status: 502, title: 'Bad Gateway' },
  unavailable: { status: 503, title: 'Service Unavailable' },
};

export function problemOfRefusal(refusal: Refusal): ProblemError {
  const { status, title } = REFUSAL_STATUS[refusal.kind];
  return new ProblemError(status, refusal.code, title, refusal.detail, { ...refusal.facts });
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(
    private readonly logger: JsonLogger,
    @Optional() @Inject(PROBLEM_MAPPERS) private readonly mappers: ProblemMapper[] = [],
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const request = host.switchToHttp().getRequest<Request>();
    const response = host.switchToHttp().getResponse<Response>();
    const problem = this.toProblem(error);
    // Only an unexpected failure deserves a stack trace; a deliberate 501/502/503 is a known state.
    if (problem.status === 500) this.logger.error(error instanceof Error ? error : String(error), { path: request.path });
    else if (problem.status > 500) this.logger.warn(problem.detail ?? problem.title, { path: request.path, code: problem.code });
    if (problem.status === 401) response.setHeader('www-authenticate', `Bearer error="invalid_token", error_description="${problem.detail ?? ''}"`);
    if (problem.status === 503 && !response.getHeader('retry-after')) response.setHeader('retry-after', String(retryAfterSeconds(problem)));
    response
      .status(problem.status)
      .type('application/problem+json')
      .send({
        type: problemType(problem.code),
        title: problem.title,
        status: problem.status,
        ...(problem.detail ? { detail: problem.detail } : {}),
        instance: request.originalUrl,
        code: problem.code,
        correlationId: currentCorrelationId(),
        ...problem.extensions,
      });
  }

  private toProblem(error: unknown): ProblemError {
    if (error instanceof ProblemError) return error;
    if (error instanceof Refusal) return problemOfRefusal(error);
    for (const mapper of this.mappers ?? []) {
      const mapped = mapper(error);
      if (mapped) return mapped;
    }
    if (error instanceof AuthenticationError) return new ProblemError(401, 'UNAUTHENTICATED', 'Unauthorized', error.reason);
    if (error instanceof AuthorizationError) return new ProblemError(403, 'FORBIDDEN', 'Forbidden', error.reason);
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const body = error.getResponse();
      const detail = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? error.message);
      return new ProblemError(status, httpCode(status), error.name.replace(/Exception$/, ''), Array.isArray(detail) ? detail.join('; ') : String(detail));
    }
    // Errors of the HTTP plumbing (body-parser and friends, made with http-errors) carry their own
    // client status and a message written for clients: body too large, bad encoding, aborted.
    const plumbing = clientHttpError(error);
    if (plumbing) return plumbing;
    // A dependency that is down or restarting is not a bug: clients should retry, not report it.
    const outage = dependencyOutage(error);
    if (outage) return new ProblemError(503, 'DEPENDENCY_UNAVAILABLE', 'Service Unavailable', `${outage} is unavailable; retry shortly`, { retryAfter: 2 });
    return new ProblemError(500, 'INTERNAL', 'Internal Server Error', 'an unexpected error occurred; see the logs with this correlation id');
  }
}

/** Seconds a client should wait before retrying a 503: the problem's own `retryAfter`, else 5. */
function retryAfterSeconds(problem: ProblemError): number {
  const seconds = problem.extensions.retryAfter;
  return typeof seconds === 'number' && Number.isInteger(seconds) && seconds > 0 ? seconds : 5;
}

function clientHttpError(error: unknown): ProblemError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode, expose, message } = error as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown };
  const code = typeof status === 'number' ? status : statusCode;
  if (typeof code !== 'number' || code < 400 || code > 499 || expose !== true) return undefined;
  const title = { 400: 'Bad Request', 413: 'Content Too Large', 415: 'Unsupported Media Type' }[code as 400 | 413 | 415] ?? 'Client Error';
  return new ProblemError(code, httpCode(code), title, typeof message === 'string' ? message : undefined);
}

function httpCode(status: number): string {
  const names: Record<number, string> = { 400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 409: 'CONFLICT', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 422: 'UNPROCESSABLE', 429: 'TOO_MANY_REQUESTS' };
  return names[status] ?? `HTTP_${status}`;
}
