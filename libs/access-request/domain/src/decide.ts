import type { AccessRequestEvent } from '@kairos/contracts';
import type { AccessRequestCommand } from './commands';
import { cancel, extend, release, revoke } from './decide/peoples-actions';
import { recordGrantFailed, recordGrantSucceeded, recordProvisioningStarted, recordRevokeFailed, recordRevokeSucceeded } from './decide/provisioning-results';
import { recordReview } from './decide/reviews';
import { submit } from './decide/submission';
import { recordTimerFired } from './decide/timers';
import { fail } from './errors';
import { recordReviewEscalation } from './escalation';
import { assertNever, type AccessRequestState } from './state';

export { grantIdFor } from './decide/shared';

type Events = AccessRequestEvent[];

/**
 * The decider's one entry point: routes each command to its capability — submission, people's
 * actions, reviews, provisioning results, timers (one file each under `decide/`).
 */
export const decide = (command: AccessRequestCommand, state: AccessRequestState): Events => {
  if (command.type === 'SubmitAccessRequest') return submit(command, state);
  if (state.status === 'empty') {
    return fail('ACCESS_REQUEST.NOT_FOUND', 'there is no such access request', { command: command.type });
  }
  switch (command.type) {
    case 'CancelAccessRequest':
      return cancel(command, state);
    case 'ReleaseAccess':
      return release(command, state);
    case 'RevokeAccess':
      return revoke(command, state);
    case 'ExtendAccess':
      return extend(command, state);
    case 'RecordReview':
      return recordReview(command, state);
    case 'RecordProvisioningStarted':
      return recordProvisioningStarted(command, state);
    case 'RecordGrantSucceeded':
      return recordGrantSucceeded(command, state);
    case 'RecordGrantFailed':
      return recordGrantFailed(command, state);
    case 'RecordRevokeSucceeded':
      return recordRevokeSucceeded(command, state);
    case 'RecordRevokeFailed':
      return recordRevokeFailed(command, state);
    case 'RecordTimerFired':
      return recordTimerFired(command, state);
    case 'RecordReviewEscalation':
      return recordReviewEscalation(command, state);
    default:
      return assertNever(command, 'command');
  }
};

