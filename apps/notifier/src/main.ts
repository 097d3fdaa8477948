import 'reflect-metadata';
import { runService } from '@kairos/http';
import { config } from './config';
import { NotifierModule } from './notifier.module';

void runService({
  name: 'notifier',
  config,
  module: (c) => NotifierModule.forRoot(c),
  port: (c) => c.PORT,
  docs: {
    title: 'Kairos notifier',
    description:
      'Email, Slack and signed-webhook notifications of access requests; reminders, escalation and delegation; Slack Approve / Deny buttons.',
  },
});
