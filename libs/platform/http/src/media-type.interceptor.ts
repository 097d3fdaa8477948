import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DECORATORS } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { hasBody, mediaTypeOf } from './json-body';
import { ProblemError } from './problem';

const DEFAULT_CONSUMES = ['application/json'];

/**
 * A body is only accepted in a media type the route consumes: `application/json` unless the route
 * says otherwise with `@ApiConsumes(...)`, so what the OpenAPI document promises and what the
 * service accepts cannot drift. A form-encoded or text body sent to a JSON route is a 415, never a
 * half-read request that validation then misjudges.
 */
@Injectable()
export class MediaTypeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    if (hasBody(request)) {
      const declared = this.reflector.getAllAndOverride<string[] | undefined>(DECORATORS.API_CONSUMES, [context.getHandler(), context.getClass()]);
      const consumes = (declared && declared.length > 0 ? declared : DEFAULT_CONSUMES).map((type) => type.toLowerCase());
      const type = mediaTypeOf(request);
      if (!type || !consumes.includes(type)) {
        throw new ProblemError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type', `this operation accepts ${consumes.join(' or ')}`, { accepts: consumes });
      }
    }
    return next.handle();
  }
}
