import type { INestApplication } from '@nestjs/common';
import helmet from 'helmet';
import { CORRELATION_HEADER } from '@kairos/observability';

export interface BrowserEdgeOptions {
  /** Origins (scheme://host:port) whose pages may call this API from a browser; none by default. */
  readonly corsOrigins?: readonly string[];
}

/**
 * What browsers are told by every service: security headers (helmet) on every response, and CORS
 * answered only for the configured origins — any other origin gets no Access-Control-Allow-Origin,
 * so its pages cannot read a single response. Bearer tokens travel in the Authorization header, never
 * in cookies, so credentials are never allowed cross-origin.
 */
export function applyBrowserEdge(app: INestApplication, options: BrowserEdgeOptions = {}): void {
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        // The API answers JSON; only the OpenAPI page (/docs) needs its own scripts, styles and images.
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          'object-src': ["'none'"],
          'base-uri': ["'none'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
        },
      },
      strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  const origins = new Set(options.corsOrigins ?? []);
  if (origins.size === 0) return;
  app.enableCors({
    origin: (origin: string | undefined, done: (error: Error | null, allow?: boolean) => void) => done(null, origin !== undefined && origins.has(origin)),
    credentials: false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', CORRELATION_HEADER, 'traceparent'],
    exposedHeaders: ['content-disposition', 'retry-after', 'location', 'idempotent-replayed', 'www-authenticate', CORRELATION_HEADER, 'traceparent'],
    maxAge: 600,
  });
}
