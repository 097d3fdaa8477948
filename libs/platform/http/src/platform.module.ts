import { Global, Injectable, Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuthGuard, TokenVerifier, type TokenVerifierOptions } from '@kairos/auth';
import { flushTracing, JsonLogger, ServiceMetrics, type LogLevel } from '@kairos/observability';
import { HealthController } from './health.controller';
import { PROBLEM_MAPPERS, type ProblemMapper } from './problem';
import { ProblemFilter } from './problem.filter';
import { ReadinessRegistry } from './readiness';

export interface PlatformOptions {
  readonly service: string;
  readonly logLevel: LogLevel;
  readonly auth: TokenVerifierOptions;
  readonly problemMappers?: ProblemMapper[];
}

/** Sends the spans not yet exported when the service shuts down. */
@Injectable()
class TracingFlush implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await flushTracing();
  }
}

/**
 * What every Kairos service gets: JSON logs, metrics, health, problem+json errors and a bearer
 * token check on every route that is not explicitly public.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: JsonLogger, useValue: new JsonLogger(options.service, options.logLevel) },
      { provide: ServiceMetrics, useValue: new ServiceMetrics(options.service) },
      { provide: TokenVerifier, useValue: new TokenVerifier(options.auth) },
      { provide: PROBLEM_MAPPERS, useValue: options.problemMappers ?? [] },
      ReadinessRegistry,
      TracingFlush,
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_FILTER, useClass: ProblemFilter },
    ];
    return {
      module: PlatformModule,
      controllers: [HealthController],
      providers,
      exports: [JsonLogger, ServiceMetrics, TokenVerifier, ReadinessRegistry],
    };
  }
}
