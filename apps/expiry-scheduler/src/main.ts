import 'reflect-metadata';
import { runService } from '@kairos/http';
import { startKafkaInbox } from '@kairos/messaging';
import { ExpiryMessaging } from './adapters/kafka/expiry-messaging';
import { apiDocs } from './api-docs';
import { config } from './config';
import { ExpirySchedulerModule } from './expiry-scheduler.module';

void runService({
  name: 'expiry-scheduler',
  config,
  module: (c) => ExpirySchedulerModule.forRoot(c),
  port: (c) => c.PORT,
  docs: apiDocs,
  // The request-event consumer: @EventPattern handlers of adapters/kafka over the messaging runtime.
  beforeListen: (app) => startKafkaInbox(app, app.get(ExpiryMessaging).runtime),
});
