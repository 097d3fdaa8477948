import 'reflect-metadata';
import { runService } from '@kairos/http';
import { apiDocs } from './api-docs';
import { config } from './config';
import { ExpirySchedulerModule } from './expiry-scheduler.module';

void runService({
  name: 'expiry-scheduler',
  config,
  module: (c) => ExpirySchedulerModule.forRoot(c),
  port: (c) => c.PORT,
  docs: apiDocs,
});
