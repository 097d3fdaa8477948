import type { EntityManager } from 'typeorm';
import type { GrantRequested, RevocationRequested } from '@kairos/contracts';
import type { ReceivedMessage } from '@kairos/messaging';
import type { NewJob } from './jobs.repository';

/** The job an access-request event asks for, or nothing for the events this service ignores. */
export function jobFor(message: ReceivedMessage): NewJob | undefined {
  switch (message.type) {
    case 'GrantRequested': {
      const data = message.data as GrantRequested['data'];
      return { ...common(data), action: 'grant', correlationId: message.correlationId };
    }
    case 'RevocationRequested': {
      const data = message.data as RevocationRequested['data'];
      return { ...common(data), action: 'revoke', correlationId: message.correlationId };
    }
    default:
      return undefined;
  }
}

const common = (data: GrantRequested['data'] | RevocationRequested['data']) => ({
  requestId: data.requestId,
  itemId: data.itemId,
  grantId: data.grantId,
  connector: data.target.connector,
  target: data.target.target,
  subject: { id: data.subject.id, kind: data.subject.kind },
});

export type RecordJob = (tx: EntityManager, job: NewJob) => Promise<boolean>;
