/** What the approval-policy service's directory says about a person, as the notifier may read it. */
export interface Contact {
  readonly id: string;
  readonly kind: 'person' | 'service';
  readonly displayName: string;
  readonly email?: string;
  readonly slackUserId?: string;
  readonly notify?: readonly ('email' | 'slack')[];
  readonly active: boolean;
}

export class DirectoryUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirectoryUnavailableError';
  }
}

export type RelayResult = { ok: true; reviewId: string } | { ok: false; status: number; code: string; detail: string };

/** The directory and the review relay of the approval-policy service (the policy adapter: DirectoryClient). */
export interface Directory {
  byIds(ids: readonly string[]): Promise<Contact[]>;
  bySlackUser(slackUserId: string): Promise<Contact[]>;
  byGroup(group: string): Promise<Contact[]>;
  /** A person's review relayed to be judged by the approval-policy service's rules; throws DirectoryUnavailableError when it is away. */
  relayReview(review: { requestId: string; itemId: string; reviewerId: string; decision: 'approve' | 'deny'; comment: string }): Promise<RelayResult>;
}
