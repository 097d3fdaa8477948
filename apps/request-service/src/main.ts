import 'reflect-metadata';
import { runService } from '@kairos/http';
import { apiDocs } from './api-docs';
import { config } from './config';
import { RequestServiceModule } from './request-service.module';

void runService({
  name: 'request-service',
  config,
  module: (c) => RequestServiceModule.forRoot(c),
  port: (c) => c.PORT,
  docs: apiDocs,
  beforeListen: (app) => RequestServiceModule.startInbox(app),
});
