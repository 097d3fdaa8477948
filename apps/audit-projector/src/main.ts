import 'reflect-metadata';
import { runService } from '@kairos/http';
import { config } from './config';
import { AuditProjectorModule } from './audit-projector.module';

void runService({
  name: 'audit-projector',
  config,
  module: (c) => AuditProjectorModule.forRoot(c),
  port: (c) => c.PORT,
  docs: { title: 'Kairos audit projector', description: 'Read models for auditors, rebuilt from the EventStoreDB request streams.' },
});
