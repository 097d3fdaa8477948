import 'reflect-metadata';
import { runService } from '@kairos/http';
import { config } from './config';
import { RequestServiceModule } from './request-service.module';

void runService({
  name: 'request-service',
  config,
  module: (c) => RequestServiceModule.forRoot(c),
  port: (c) => c.PORT,
  docs: { title: 'Kairos request service', description: 'Ask for, follow, extend, release and cancel just-in-time access. Owns the access-request streams.' },
});
