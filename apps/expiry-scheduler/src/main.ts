import 'reflect-metadata';
import { runService } from '@kairos/http';
import { config } from './config';
import { ExpirySchedulerModule } from './expiry-scheduler.module';

void runService({
  name: 'expiry-scheduler',
  config,
  module: (c) => ExpirySchedulerModule.forRoot(c),
  port: (c) => c.PORT,
  docs: {
    title: 'Kairos expiry scheduler',
    description: 'Durable timers for access expiry, approval expiry, pending time to live and break-glass review.',
  },
});
