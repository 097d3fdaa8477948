import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import { SwaggerModule } from '@nestjs/swagger';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { correlationMiddleware } from './correlation.middleware';
import { applyBrowserEdge, type BrowserEdgeOptions } from './edge';
import { jsonBodyParser } from './json-body';
import { MediaTypeInterceptor } from './media-type.interceptor';
import { buildOpenApiDocument } from './openapi';
import { InputTextPipe, problemValidationPipe } from './validation';

export interface ServiceAppOptions {
  readonly title: string;
  readonly description: string;
  readonly version?: string;
}

/**
 * Builds a service's HTTP application: middleware, bounded JSON parsing, the media-type gate, input
 * and DTO validation, OpenAPI at /docs, graceful shutdown.
 */
export async function createServiceApp(module: Type<unknown> | object, options: ServiceAppOptions, edge: BrowserEdgeOptions = {}): Promise<INestApplication> {
  // Nest's own parsers are off: JSON is parsed (and bounded) by jsonBodyParser, and no route reads forms.
  const app = await NestFactory.create(module as Type<unknown>, { bufferLogs: true, abortOnError: false, bodyParser: false });
  const logger = app.get(JsonLogger);
  app.useLogger(logger);
  applyBrowserEdge(app, edge);
  app.use(correlationMiddleware(app.get(ServiceMetrics), logger));
  app.use(jsonBodyParser());
  app.useGlobalInterceptors(new MediaTypeInterceptor(app.get(Reflector)));
  app.useGlobalPipes(new InputTextPipe(), problemValidationPipe());
  app.enableShutdownHooks();
  const document = buildOpenApiDocument(app, options);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

/** Starts listening and logs one line; exits the process with the reason if start-up fails. */
export async function listen(app: INestApplication, port: number, service: string): Promise<void> {
  await app.listen(port, '0.0.0.0');
  const address = app.getHttpServer().address();
  const actual = typeof address === 'object' && address ? address.port : port;
  app.get(JsonLogger).log(`${service} listening`, { port: actual });
}
