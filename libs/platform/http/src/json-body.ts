import { json, type NextFunction, type Request, type Response } from 'express';
import { INPUT_LIMITS, inspectInput } from './input-limits';
import { ProblemError } from './problem';

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json$/i;

/** The media type of a request without its parameters, lower-cased (`application/json`). */
export function mediaTypeOf(req: Request): string | undefined {
  const header = req.headers['content-type'];
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  return header.split(';')[0]!.trim().toLowerCase();
}

/** True when the request carries a body (RFC 9110: a Content-Length above 0 or a Transfer-Encoding). */
export function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

function charsetOf(header: string): string | undefined {
  for (const parameter of header.split(';').slice(1)) {
    const [name, value] = parameter.split('=').map((part) => part?.trim());
    if (name?.toLowerCase() === 'charset') return (value ?? '').replace(/^"|"$/g, '').toLowerCase();
  }
  return undefined;
}

/**
 * The only body parser of every service: JSON in UTF-8, at most `INPUT_LIMITS.jsonBodyBytes`,
 * then checked against the shape and text limits before anything else sees it. Other media types
 * are left unread; the media-type gate answers 415 unless the route declares it consumes them.
 */
export function jsonBodyParser(limitBytes: number = INPUT_LIMITS.jsonBodyBytes) {
  const parse = json({ limit: limitBytes, type: (req) => JSON_TYPE.test(mediaTypeOf(req as Request) ?? '') });
  return (req: Request, res: Response, next: NextFunction): void => {
    const type = mediaTypeOf(req);
    if (!type || !JSON_TYPE.test(type) || !hasBody(req)) return next();
    const charset = charsetOf(req.headers['content-type'] as string);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return next(new ProblemError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type', 'JSON must be sent as UTF-8 (charset=utf-8)'));
    }
    parse(req, res, (error?: unknown) => {
      if (error) return next(error);
      const problem = inspectInput(req.body, 'body');
      next(problem);
    });
  };
}
