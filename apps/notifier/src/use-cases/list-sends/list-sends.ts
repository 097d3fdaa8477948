import type { NotificationKind } from '../../domain/plan';

export const SEND_STATUSES = ['pending', 'sent', 'dead'] as const;
export type SendStatus = (typeof SEND_STATUSES)[number];

/** One send, as operators see it. */
export interface SendView {
  readonly sendKey: string;
  readonly recipientId: string;
  readonly channel: 'email' | 'slack' | 'webhook';
  readonly status: SendStatus;
  readonly attempts: number;
  /** Scrubbed of credentials. */
  readonly lastError: string | null;
  readonly sentAt: string | Date | null;
  readonly kind: NotificationKind;
  readonly requestId: string;
  readonly itemId: string | null;
}

/** The sends table (the postgres adapter: PgSendLog). */
export interface SendLog {
  /** The latest 500 sends matching, newest first. */
  list(filter: { status?: SendStatus; requestId?: string }): Promise<SendView[]>;
}

/** The outbox of sends for operators: what went out, what waits, what was dead-lettered and why. */
export class ListSends {
  constructor(private readonly sends: SendLog) {}

  async run(filter: { status?: SendStatus; requestId?: string }): Promise<{ items: SendView[] }> {
    return { items: await this.sends.list(filter) };
  }
}
