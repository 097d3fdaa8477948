import type { NextFunction, Request, Response } from 'express';
import {
  contextFromTraceparent,
  CORRELATION_HEADER,
  currentCorrelationId,
  runWithContext,
  SpanKind,
  SpanStatusCode,
  startSpan,
  TRACEPARENT_HEADER,
  traceparentOf,
  withActiveSpan,
  type JsonLogger,
  type ServiceMetrics,
} from '@kairos/observability';
import { context, trace } from '@opentelemetry/api';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// Probes and scrapes answer every few seconds: their access lines are debug, the rest info.
const QUIET_ROUTES = /^\/(health|metrics)(\/|$)/;

/**
 * Adopts the caller's correlation id (if well-formed) or makes one; continues the caller's trace
 * (a valid W3C `traceparent`; a malformed one is ignored and a new trace starts) in a server span
 * whose traceparent the response carries; counts the request; and writes one access log line when
 * it finishes: method, route pattern, status, duration, trace id. Never the URL's query, a header
 * value or a body: those may carry tokens.
 */
export function correlationMiddleware(metrics: ServiceMetrics, logger?: JsonLogger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.header(CORRELATION_HEADER);
    const correlationId = incoming && SAFE_ID.test(incoming) ? incoming : undefined;
    const started = process.hrtime.bigint();
    const parent = contextFromTraceparent(req.header(TRACEPARENT_HEADER), context.active());
    const span = startSpan(`HTTP ${req.method}`, { kind: SpanKind.SERVER, parent, attributes: { 'http.request.method': req.method } });
    runWithContext({ correlationId }, () =>
      withActiveSpan(
        span,
        () => {
          res.setHeader(CORRELATION_HEADER, currentCorrelationId() ?? '');
          const traceparent = traceparentOf();
          if (traceparent) res.setHeader(TRACEPARENT_HEADER, traceparent);
          let done = false;
          const finish = () => {
            if (done) return;
            done = true;
            const route = (req.route?.path as string | undefined) ?? 'unmatched';
            const status = res.writableFinished ? res.statusCode : 499;
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            metrics.httpRequests.inc({ method: req.method, route, status: String(status) });
            metrics.httpDuration.observe({ method: req.method, route }, seconds);
            span.updateName(`${req.method} ${route}`);
            span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
            if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
            span.end();
            const ids = span.spanContext();
            logger?.write(QUIET_ROUTES.test(route) ? 'debug' : 'info', 'http request', {
              method: req.method,
              route,
              status,
              durationMs: Math.round(seconds * 1e4) / 10,
              ...(trace.isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {}),
            });
          };
          res.on('finish', finish);
          res.on('close', finish);
          next();
        },
        parent,
      ),
    );
  };
}
