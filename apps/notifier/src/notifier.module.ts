import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { raw } from 'express';
import { DataSource } from 'typeorm';
import { CLOCK, systemClock, type Clock } from '@kairos/clock';
import { kafkaConnection, messageKeys } from '@kairos/config';
import { PlatformModule } from '@kairos/http';
import { KafkaModule } from '@kairos/messaging';
import { JsonLogger, redactSecrets, ServiceMetrics } from '@kairos/observability';
import { PostgresModule } from '@kairos/persistence';
import { SlackChannel } from './adapters/channels/slack';
import { EmailChannel } from './adapters/channels/smtp';
import { WebhookChannel } from './adapters/channels/webhook';
import { DelegationsController } from './adapters/http/delegations.controller';
import { SendsController } from './adapters/http/sends.controller';
import { SlackInteractionsController } from './adapters/http/slack-interactions.controller';
import { NotifierMessaging } from './adapters/kafka/notifier-messaging';
import { RequestEventsController } from './adapters/kafka/request-events.controller';
import { DispatchLoop, LOOP_INTERVAL } from './adapters/loop/dispatch-loop';
import { sendMetrics } from './adapters/loop/send-metrics';
import { DirectoryClient } from './adapters/policy/directory-client';
import { PgDelegations } from './adapters/postgres/delegations.repository';
import { PgNotifierStore } from './adapters/postgres/notifier-store';
import { PgSendLog } from './adapters/postgres/send-log';
import { FileTemplates } from './adapters/templates/file-templates';
import { secretOf, type NotifierConfig } from './config';
import type { NotifierLog } from './domain/ports';
import { migrations } from './migrations';
import { Delegate } from './use-cases/delegate/delegate';
import { DispatchSends, type DispatchHooks } from './use-cases/dispatch-sends/dispatch-sends';
import { FireTimers } from './use-cases/fire-timers/fire-timers';
import { HandleSlackInteraction } from './use-cases/handle-slack-interaction/handle-slack-interaction';
import { ListSends } from './use-cases/list-sends/list-sends';
import { PlanNotifications } from './use-cases/plan-notifications/plan-notifications';

export interface NotifierOverrides {
  readonly clock?: Clock;
  readonly hooks?: DispatchHooks;
}

const logOf = (logger: JsonLogger): NotifierLog => ({
  info: (msg, fields) => logger.write('info', msg, fields),
  warn: (msg, fields) => logger.write('warn', msg, fields),
  error: (msg, fields) => logger.write('error', msg, fields),
});

@Module({})
export class NotifierModule implements NestModule {
  static forRoot(config: NotifierConfig, overrides: NotifierOverrides = {}): DynamicModule {
    const clock = overrides.clock ?? systemClock;
    const directory = new DirectoryClient(config.APPROVAL_POLICY_URL, secretOf(config.NOTIFIER_TOKEN, config.NOTIFIER_TOKEN_FILE));
    return {
      module: NotifierModule,
      imports: [
        PlatformModule.forRoot({
          service: 'notifier',
          logLevel: config.LOG_LEVEL,
          auth: { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, jwksUrl: config.AUTH_JWKS_URL },
        }),
        PostgresModule.forRoot({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, migrations }),
        KafkaModule.forRoot({ connection: kafkaConnection(config), clientId: 'notifier', keys: messageKeys(config) }),
      ],
      controllers: [SlackInteractionsController, DelegationsController, SendsController, RequestEventsController],
      providers: [
        { provide: CLOCK, useValue: clock },
        { provide: LOOP_INTERVAL, useValue: config.LOOP_INTERVAL_MS },
        { provide: PgNotifierStore, useFactory: (dataSource: DataSource) => new PgNotifierStore(dataSource), inject: [DataSource] },
        {
          provide: PlanNotifications,
          useFactory: () =>
            new PlanNotifications(clock, {
              reminderAfterMs: config.REMINDER_AFTER_SECONDS * 1000,
              escalateAfterMs: config.ESCALATE_AFTER_SECONDS * 1000,
              expiryWarningMs: config.EXPIRY_WARNING_SECONDS * 1000,
              fulfillerGroup: config.FULFILLER_GROUP,
            }),
        },
        {
          provide: FireTimers,
          inject: [PgNotifierStore, JsonLogger],
          useFactory: (store: PgNotifierStore, logger: JsonLogger) => new FireTimers(store, directory, clock, { escalationGroup: config.ESCALATION_GROUP }, logOf(logger)),
        },
        {
          provide: DispatchSends,
          inject: [PgNotifierStore, JsonLogger, ServiceMetrics],
          useFactory: (store: PgNotifierStore, logger: JsonLogger, metrics: ServiceMetrics) => {
            const counters = sendMetrics(metrics);
            return new DispatchSends(
              store,
              directory,
              new FileTemplates(config.TEMPLATES_DIR),
              {
                email: new EmailChannel({
                  host: config.SMTP_HOST,
                  port: config.SMTP_PORT,
                  secure: config.SMTP_SECURE,
                  requireTls: config.SMTP_REQUIRE_TLS,
                  rejectUnauthorized: config.SMTP_TLS_REJECT_UNAUTHORIZED,
                  user: config.SMTP_USER,
                  password: secretOf(config.SMTP_PASSWORD, config.SMTP_PASSWORD_FILE),
                  from: config.SMTP_FROM,
                }),
                slack: new SlackChannel(config.SLACK_API_URL, secretOf(config.SLACK_BOT_TOKEN, config.SLACK_BOT_TOKEN_FILE)),
                webhook: new WebhookChannel(config.NOTIFY_WEBHOOK_URL, secretOf(config.NOTIFY_WEBHOOK_SECRET, config.NOTIFY_WEBHOOK_SECRET_FILE)),
              },
              clock,
              {
                defaultChannels: config.DEFAULT_CHANNELS,
                consoleUrl: config.CONSOLE_URL,
                maxAttempts: config.SEND_MAX_ATTEMPTS,
                backoffMs: config.SEND_BACKOFF_MS,
              },
              logOf(logger),
              redactSecrets,
              {
                ...counters,
                ...overrides.hooks,
                onSent: (c, k) => (counters.onSent?.(c, k), overrides.hooks?.onSent?.(c, k)),
              },
            );
          },
        },
        { provide: Delegate, inject: [DataSource], useFactory: (dataSource: DataSource) => new Delegate(new PgDelegations(dataSource), clock) },
        {
          provide: HandleSlackInteraction,
          inject: [JsonLogger],
          useFactory: (logger: JsonLogger) =>
            new HandleSlackInteraction(directory, secretOf(config.SLACK_SIGNING_SECRET, config.SLACK_SIGNING_SECRET_FILE), clock, logOf(logger)),
        },
        { provide: ListSends, inject: [DataSource], useFactory: (dataSource: DataSource) => new ListSends(new PgSendLog(dataSource)) },
        DispatchLoop,
        NotifierMessaging,
      ],
    };
  }

  // Slack signs the raw form body: the interactivity route reads it unparsed.
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(raw({ type: 'application/x-www-form-urlencoded', limit: '64kb' }))
      .forRoutes({ path: 'v1/slack/interactions', method: RequestMethod.POST });
  }
}
