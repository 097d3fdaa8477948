import { Module, type DynamicModule } from '@nestjs/common';
import { kafkaConnection, messageKeys } from '@kairos/config';
import { PlatformModule } from '@kairos/http';
import { PostgresModule } from '@kairos/persistence';
import { KafkaModule } from '@kairos/messaging';
import type { ExpirySchedulerConfig } from './config';
import { migrations } from './migrations';
import { CLOCK, systemClock, type Clock } from './shared/clock';
import { ExpiryRuntime, FIRING_OPTIONS, type FiringSettings } from './timers/expiry-runtime';
import { TimersController } from './timers/timers.controller';

export interface ExpirySchedulerOverrides {
  /** Tests drive time with their own clock; production uses the system clock. */
  readonly clock?: Clock;
}

@Module({})
export class ExpirySchedulerModule {
  static forRoot(config: ExpirySchedulerConfig, overrides: ExpirySchedulerOverrides = {}): DynamicModule {
    const firing: FiringSettings = { maxSleepMs: config.TIMER_MAX_SLEEP_MS, batchSize: config.TIMER_BATCH_SIZE };
    return {
      module: ExpirySchedulerModule,
      imports: [
        PlatformModule.forRoot({
          service: 'expiry-scheduler',
          logLevel: config.LOG_LEVEL,
          auth: { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, jwksUrl: config.AUTH_JWKS_URL },
        }),
        PostgresModule.forRoot({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations }),
        KafkaModule.forRoot({ connection: kafkaConnection(config), clientId: 'expiry-scheduler', keys: messageKeys(config) }),
      ],
      controllers: [TimersController],
      providers: [
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        { provide: FIRING_OPTIONS, useValue: firing },
        ExpiryRuntime,
      ],
    };
  }
}
