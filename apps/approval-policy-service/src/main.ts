import 'reflect-metadata';
import { runService } from '@kairos/http';
import { apiDocs } from './api-docs';
import { config } from './config';
import { ApprovalPolicyServiceModule } from './approval-policy-service.module';

void runService({
  name: 'approval-policy-service',
  config,
  module: (c) => ApprovalPolicyServiceModule.forRoot(c),
  port: (c) => c.PORT,
  docs: apiDocs,
  beforeListen: (app) => ApprovalPolicyServiceModule.startInbox(app),
});
