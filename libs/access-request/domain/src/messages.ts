import type { InternalMessage } from '@kairos/contracts';
import type { AccessRequestCommand, CommandMetadata } from './commands';
import { assertNever } from './state';

/** The command that records a message of approval.decisions, provisioning.results or expiry.events. */
export const commandFromMessage = (message: InternalMessage, metadata: CommandMetadata): AccessRequestCommand => {
  switch (message.type) {
    case 'ReviewSubmitted':
      return { type: 'RecordReview', data: message.data, metadata };
    case 'ProvisioningStarted':
      return { type: 'RecordProvisioningStarted', data: message.data, metadata };
    case 'GrantSucceeded':
      return { type: 'RecordGrantSucceeded', data: message.data, metadata };
    case 'GrantFailed':
      return { type: 'RecordGrantFailed', data: message.data, metadata };
    case 'RevokeSucceeded':
      return { type: 'RecordRevokeSucceeded', data: message.data, metadata };
    case 'RevokeFailed':
      return { type: 'RecordRevokeFailed', data: message.data, metadata };
    case 'TimerFired':
      return { type: 'RecordTimerFired', data: message.data, metadata };
    case 'ReviewEscalationRequested':
      return { type: 'RecordReviewEscalation', data: message.data, metadata };
    default:
      return assertNever(message, 'message');
  }
};
