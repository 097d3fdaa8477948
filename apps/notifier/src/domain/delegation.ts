/** An approver's out-of-office: `delegateId` reviews in `delegatorId`'s place in [startsAt, endsAt). */
export interface Delegation {
  readonly delegationId: string;
  readonly delegatorId: string;
  readonly delegateId: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

/** A delegation lasts at most this long. */
export const MAX_DELEGATION_MS = 90 * 86_400_000;
