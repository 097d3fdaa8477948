import 'reflect-metadata';
import { runService } from '@kairos/http';
import { startProvisioningInbox } from './adapters/kafka/provisioning.runtime';
import { apiDocs } from './api-docs';
import { config } from './config';
import { ProvisioningConnectorModule } from './provisioning-connector.module';

void runService({
  name: 'provisioning-connector',
  config,
  module: (c) => ProvisioningConnectorModule.forRoot(c),
  port: (c) => c.PORT,
  docs: apiDocs,
  // The access-request consumer: @EventPattern handlers of adapters/kafka over the messaging runtime.
  beforeListen: startProvisioningInbox,
});
