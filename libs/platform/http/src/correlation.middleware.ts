import type { NextFunction, Request, Response } from 'express';
import { CORRELATION_HEADER, currentCorrelationId, runWithContext, type ServiceMetrics } from '@kairos/observability';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Adopts the caller's correlation id (if well-formed) or makes one, and counts the request. */
export function correlationMiddleware(metrics: ServiceMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.header(CORRELATION_HEADER);
    const correlationId = incoming && SAFE_ID.test(incoming) ? incoming : undefined;
    const traceparent = req.header('traceparent');
    const started = process.hrtime.bigint();
    runWithContext({ correlationId, traceparent }, () => {
      res.setHeader(CORRELATION_HEADER, currentCorrelationId() ?? '');
      res.on('finish', () => {
        const route = (req.route?.path as string | undefined) ?? 'unmatched';
        metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
        metrics.httpDuration.observe({ method: req.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
      });
      next();
    });
  };
}
