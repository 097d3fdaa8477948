import { randomUUID } from 'node:crypto';
import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { accessRequestStreamName, eventMetadataFor, validateEvent, type AccessRequestEvent, type ItemPolicySnapshot, type Subject } from '@kairos/contracts';

export const T0 = Date.parse('2025-03-01T09:00:00.000Z');
export const at = (hours: number): string => new Date(T0 + hours * 3_600_000).toISOString();

export const policy = (overrides: Partial<ItemPolicySnapshot> = {}): ItemPolicySnapshot => ({
  policyId: 'pol-db',
  policyVersion: 1,
  tier: 2,
  mode: 'manager',
  steps: [{ name: 'manager', mode: 'manager', approvers: ['u-bob'], required: 1 }],
  approvalValidity: 'P7D',
  maxDuration: 'PT8H',
  pendingTtl: 'P1D',
  justificationRequired: true,
  extensionRequiresApproval: false,
  breakGlass: { allowed: false, ratifyWithin: 'PT4H', ratifiers: [] },
  target: { connector: 'postgres', target: 'orders-db' },
  ...overrides,
});

export interface RecordedScenario {
  readonly requestId: string;
  readonly events: AccessRequestEvent[];
}

/** A request stream's events written as request-service writes them, checked against the contracts. */
export class RequestScenario {
  readonly events: AccessRequestEvent[] = [];
  private readonly itemId = 'item-1';
  private readonly grantId: string;

  constructor(
    readonly requestId: string,
    /** `groups` on the requester is how producers sent groups before the contract had `requesterGroups`. */
    private readonly requester: Subject & { groups?: string[] },
    private readonly resourceId: string,
    private readonly role: string,
    private readonly requesterGroups?: string[],
  ) {
    this.grantId = `grant-${requestId.slice(0, 8)}`;
  }

  static create(requester: Subject & { groups?: string[] }, resourceId: string, role: string, requesterGroups?: string[]): RequestScenario {
    return new RequestScenario(randomUUID(), requester, resourceId, role, requesterGroups);
  }

  get stream(): string {
    return accessRequestStreamName(this.requestId);
  }

  private add(event: AccessRequestEvent): this {
    const valid = validateEvent(event.type, event.data);
    if (!valid.ok) throw new Error(`fixture ${event.type} breaks its contract: ${JSON.stringify(valid.errors)}`);
    this.events.push(event);
    return this;
  }

  requested(hour: number, justification = 'investigate incident INC-42'): this {
    const { requestId, itemId, resourceId, role } = this;
    return this.add({
      type: 'AccessRequested',
      data: {
        requestId,
        requester: this.requester,
        ...(this.requesterGroups ? { requesterGroups: this.requesterGroups } : {}),
        requestedBy: this.requester.id,
        onBehalf: false,
        justification,
        duration: 'PT4H',
        breakGlass: false,
        items: [{ itemId, resourceId, role, policy: policy(), pendingExpiresAt: at(hour + 24) }],
        requestedAt: at(hour),
      },
    });
  }

  reviewed(hour: number, reviewerId: string, decision: 'approve' | 'deny', comment = decision === 'approve' ? 'ok, for the incident' : 'not for production'): this {
    return this.add({
      type: 'ReviewRecorded',
      data: {
        requestId: this.requestId,
        itemId: this.itemId,
        reviewId: `rev-${reviewerId}-${hour}`,
        reviewerId,
        decision,
        comment,
        subject: 'approval',
        step: 0,
        stepName: 'manager',
        submittedAt: at(hour),
        recordedAt: at(hour),
      },
    });
  }

  approved(hour: number, via: 'automatic' | 'reviews' = 'reviews'): this {
    return this.add({
      type: 'ItemApproved',
      data: { requestId: this.requestId, itemId: this.itemId, via, duration: 'PT4H', approvalExpiresAt: at(hour + 168), approvedAt: at(hour) },
    });
  }

  denied(hour: number, deniedBy: string): this {
    return this.add({
      type: 'ItemDenied',
      data: { requestId: this.requestId, itemId: this.itemId, reviewId: `rev-${deniedBy}-${hour}`, deniedBy, reason: 'not for production', deniedAt: at(hour) },
    });
  }

  granted(hour: number, durationHours = 4): this {
    const { requestId, itemId, grantId, resourceId, role } = this;
    const subject = { id: this.requester.id, kind: this.requester.kind };
    this.add({
      type: 'GrantRequested',
      data: { requestId, itemId, grantId, subject, resourceId, role, target: policy().target, duration: 'PT4H', breakGlass: false, requestedAt: at(hour) },
    });
    return this.add({
      type: 'AccessGranted',
      data: { requestId, itemId, grantId, subject, resourceId, role, breakGlass: false, verified: true, grantedAt: at(hour), expiresAt: at(hour + durationHours) },
    });
  }

  revoked(hour: number): this {
    const { requestId, itemId, grantId, resourceId, role } = this;
    const subject = { id: this.requester.id, kind: this.requester.kind };
    this.add({ type: 'AccessExpired', data: { requestId, itemId, grantId, expiresAt: at(hour), expiredAt: at(hour) } });
    this.add({
      type: 'RevocationRequested',
      data: { requestId, itemId, grantId, reason: 'expired', subject, resourceId, role, target: policy().target, requestedAt: at(hour) },
    });
    return this.add({ type: 'AccessRevoked', data: { requestId, itemId, grantId, subject, resourceId, role, reason: 'expired', verified: true, revokedAt: at(hour) } });
  }

  /** Appends one event per write (as the decider mostly does), so each is its own commit in the log. */
  async appendTo(client: EventStoreDBClient, from = 0): Promise<void> {
    for (const event of this.events.slice(from)) {
      await client.appendToStream(this.stream, jsonEvent({ type: event.type, data: event.data as never, metadata: eventMetadataFor(event.type) }));
    }
  }
}

/** Appends raw events (for shapes the contracts refuse). */
export async function appendRaw(client: EventStoreDBClient, stream: string, type: string, data: Record<string, unknown>): Promise<void> {
  await client.appendToStream(stream, jsonEvent({ type, data: data as never }));
}
