import type { AccessRequestEvent } from '@kairos/contracts';
import type { AccessRequestCommand } from './commands';
import { decide } from './decide';
import { evolve, initialState, type AccessRequestState } from './state';

export type { Decider } from '@kairos/contracts';
import type { Decider } from '@kairos/contracts';

export const accessRequestDecider: Decider<AccessRequestCommand, AccessRequestState, AccessRequestEvent> = {
  decide,
  evolve,
  initialState,
};
