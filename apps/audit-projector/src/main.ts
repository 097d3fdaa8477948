import 'reflect-metadata';
import { runService } from '@kairos/http';
import { apiDocs } from './api-docs';
import { config } from './config';
import { AuditProjectorModule } from './audit-projector.module';

void runService({
  name: 'audit-projector',
  config,
  module: (c) => AuditProjectorModule.forRoot(c),
  port: (c) => c.PORT,
  docs: apiDocs,
});
