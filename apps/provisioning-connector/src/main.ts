import 'reflect-metadata';
import { runService } from '@kairos/http';
import { config } from './config';
import { ProvisioningConnectorModule } from './provisioning-connector.module';

void runService({
  name: 'provisioning-connector',
  config,
  module: (c) => ProvisioningConnectorModule.forRoot(c),
  port: (c) => c.PORT,
  docs: {
    title: 'Kairos provisioning connector',
    description: 'Grants and revokes access in target systems and verifies it; manual fulfilment tickets.',
  },
});
