import 'reflect-metadata';
import { runService } from '@kairos/http';
import { config } from './config';
import { ApprovalPolicyServiceModule } from './approval-policy-service.module';

void runService({
  name: 'approval-policy-service',
  config,
  module: (c) => ApprovalPolicyServiceModule.forRoot(c),
  port: (c) => c.PORT,
  docs: {
    title: 'Kairos approval policy service',
    description: 'Resources, tiers, policies and the directory; the approver inbox and reviews.',
  },
});
