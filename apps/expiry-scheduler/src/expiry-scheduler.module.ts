import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, systemClock, type Clock } from '@kairos/clock';
import { kafkaConnection, messageKeys } from '@kairos/config';
import { PlatformModule } from '@kairos/http';
import { PostgresModule } from '@kairos/persistence';
import { KafkaModule } from '@kairos/messaging';
import { FiringLoop, FIRING_OPTIONS, type FiringSettings } from './adapters/firing/firing-loop';
import { FiringObserver } from './adapters/firing/firing-observer';
import { TimerWakeups } from './adapters/firing/wakeups';
import { TimersController } from './adapters/http/timers.controller';
import { ExpiryMessaging } from './adapters/kafka/expiry-messaging';
import { RequestEventsController } from './adapters/kafka/request-events.controller';
import { PostgresFiringStore, PostgresTimerReader } from './adapters/postgres/timer.repository';
import type { ExpirySchedulerConfig } from './config';
import { migrations } from './migrations';
import { FireDueTimers } from './use-cases/fire-due-timers/fire-due-timers';
import { ListTimers } from './use-cases/list-timers/list-timers';
import { ScheduleTimers } from './use-cases/schedule-timers/schedule-timers';

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
      controllers: [TimersController, RequestEventsController],
      providers: [
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        { provide: FIRING_OPTIONS, useValue: firing },
        { provide: ScheduleTimers, useFactory: (clock: Clock) => new ScheduleTimers(clock), inject: [CLOCK] },
        {
          provide: FireDueTimers,
          useFactory: (dataSource: DataSource, clock: Clock, observer: FiringObserver) => new FireDueTimers(new PostgresFiringStore(dataSource), clock, observer, firing),
          inject: [DataSource, CLOCK, FiringObserver],
        },
        { provide: ListTimers, useFactory: (dataSource: DataSource) => new ListTimers(new PostgresTimerReader(dataSource)), inject: [DataSource] },
        TimerWakeups,
        ExpiryMessaging,
        FiringObserver,
        FiringLoop,
      ],
    };
  }
}
