import 'reflect-metadata';
import { runService } from '@kairos/http';
import { startKafkaInbox } from '@kairos/messaging';
import { NotifierMessaging } from './adapters/kafka/notifier-messaging';
import { config } from './config';
import { NotifierModule } from './notifier.module';

void runService({
  name: 'notifier',
  config,
  module: (c) => NotifierModule.forRoot(c),
  port: (c) => c.PORT,
  // The request-event consumer: @EventPattern handlers of adapters/kafka over the messaging runtime.
  beforeListen: (app) => startKafkaInbox(app, app.get(NotifierMessaging).runtime),
  docs: {
    title: 'Kairos notifier',
    description:
      'Email, Slack and signed-webhook notifications of access requests; reminders, escalation and delegation; Slack Approve / Deny buttons.',
  },
});
