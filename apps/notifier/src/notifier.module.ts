import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { raw } from 'express';
import { DataSource } from 'typeorm';
import { kafkaConnection, messageKeys } from '@kairos/config';
import { PlatformModule } from '@kairos/http';
import { KafkaModule } from '@kairos/messaging';
import { JsonLogger, ServiceMetrics } from '@kairos/observability';
import { PostgresModule } from '@kairos/persistence';
import { EmailChannel } from './channels/email';
import { SlackChannel } from './channels/slack';
import { WebhookChannel } from './channels/webhook';
import type { NotifierConfig } from './config';
import { DelegationsController } from './delegations/delegations.controller';
import { DirectoryClient } from './directory/directory-client';
import { migrations } from './migrations';
import { Dispatcher, type DispatcherHooks } from './notifications/dispatcher';
import { DISPATCHER, HANDLER_SETTINGS, LOOP_INTERVAL, NotifierRuntime, sendMetrics } from './notifications/notifier-runtime';
import type { HandlerSettings } from './notifications/request-events.handler';
import { SendsController } from './notifications/sends.controller';
import { Templates } from './notifications/templates';
import { secretOf } from './secrets';
import { CLOCK, systemClock, type Clock } from './shared/clock';
import { SLACK_SIGNING_SECRET, SlackInteractionsController } from './slack/interactions.controller';

export interface NotifierOverrides {
  readonly clock?: Clock;
  readonly hooks?: DispatcherHooks;
}

@Module({})
export class NotifierModule implements NestModule {
  static forRoot(config: NotifierConfig, overrides: NotifierOverrides = {}): DynamicModule {
    const clock = overrides.clock ?? systemClock;
    const handler: HandlerSettings = {
      reminderAfterMs: config.REMINDER_AFTER_SECONDS * 1000,
      escalateAfterMs: config.ESCALATE_AFTER_SECONDS * 1000,
      expiryWarningMs: config.EXPIRY_WARNING_SECONDS * 1000,
      fulfillerGroup: config.FULFILLER_GROUP,
    };
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
      controllers: [SlackInteractionsController, DelegationsController, SendsController],
      providers: [
        { provide: CLOCK, useValue: clock },
        { provide: HANDLER_SETTINGS, useValue: handler },
        { provide: LOOP_INTERVAL, useValue: config.LOOP_INTERVAL_MS },
        { provide: DirectoryClient, useValue: directory },
        { provide: SLACK_SIGNING_SECRET, useValue: secretOf(config.SLACK_SIGNING_SECRET, config.SLACK_SIGNING_SECRET_FILE) },
        {
          provide: DISPATCHER,
          inject: [DataSource, JsonLogger, ServiceMetrics],
          useFactory: (dataSource: DataSource, logger: JsonLogger, metrics: ServiceMetrics) => {
            const counters = sendMetrics(metrics);
            return new Dispatcher(
              dataSource,
              directory,
              new Templates(config.TEMPLATES_DIR),
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
                escalationGroup: config.ESCALATION_GROUP,
                maxAttempts: config.SEND_MAX_ATTEMPTS,
                backoffMs: config.SEND_BACKOFF_MS,
              },
              {
                info: (msg, fields) => logger.write('info', msg, fields),
                warn: (msg, fields) => logger.write('warn', msg, fields),
                error: (msg, fields) => logger.write('error', msg, fields),
              },
              {
                ...counters,
                ...overrides.hooks,
                onSent: (c, k) => (counters.onSent?.(c, k), overrides.hooks?.onSent?.(c, k)),
              },
            );
          },
        },
        NotifierRuntime,
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
