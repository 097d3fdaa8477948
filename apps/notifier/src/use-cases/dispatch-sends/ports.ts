import type { NotificationKind, Recipients } from '../../domain/plan';
import type { Rendered } from '../../domain/templates';

/** A send failed; `permanent` when retrying can never help (a refused address, a revoked token). */
export class SendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    /** The server asked to wait this long before trying again (HTTP 429 Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/** One message to one address over one channel, with the key that makes a duplicate recognisable. */
export interface Outgoing {
  readonly sendKey: string;
  readonly address: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly kind: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly review?: { readonly requestId: string; readonly itemId: string };
}

/** A channel to people: email over SMTP, Slack (the channels adapter). Throws SendError. */
export interface MessageChannel {
  /** Configured; a send to a disabled channel is never queued. */
  readonly enabled: boolean;
  send(message: Outgoing): Promise<void>;
}

/** The signed webhook receiving every notification (the channels adapter). Throws SendError. */
export interface WebhookSender {
  readonly enabled: boolean;
  send(deliveryId: string, payload: Record<string, unknown>, nowSeconds: number): Promise<void>;
}

export interface Channels {
  readonly email: MessageChannel;
  readonly slack: MessageChannel;
  readonly webhook: WebhookSender;
}

/** The templates of each notification kind (the templates adapter: FileTemplates). */
export interface TemplateRenderer {
  render(kind: NotificationKind, values: Readonly<Record<string, unknown>>): Rendered;
}

export type SendChannel = 'email' | 'slack' | 'webhook';

/** A notification waiting to be expanded into sends. */
export interface PendingNotification {
  readonly notification_id: string;
  readonly kind: NotificationKind;
  readonly request_id: string;
  readonly item_id: string | null;
  readonly recipients: Recipients;
  readonly data: Record<string, unknown>;
  readonly attempts: number;
}

/** A send due, with its notification. */
export interface DueSend {
  readonly send_key: string;
  readonly notification_id: string;
  readonly recipient_id: string;
  readonly channel: SendChannel;
  readonly address: string;
  readonly attempts: number;
  readonly kind: NotificationKind;
  readonly request_id: string;
  readonly item_id: string | null;
  readonly data: Record<string, unknown>;
}

/** The outbox of notifications and sends, inside one transaction (the postgres adapter: PgNotifierTx). */
export interface SendTransaction {
  /** Locks (skipping locked ones) the notifications due at `now`, oldest first. */
  pendingNotifications(now: Date, limit: number): Promise<PendingNotification[]>;
  markExpanded(notificationId: string): Promise<void>;
  markNotificationDead(notificationId: string, attempts: number, reason: string): Promise<void>;
  retryNotification(notificationId: string, attempts: number, reason: string, at: Date): Promise<void>;
  /** Queues one send (keyed by notification, recipient and channel: queued once). */
  insertSend(send: { notificationId: string; recipientId: string; channel: SendChannel; address: string; now: Date }): Promise<void>;
  /** Locks the send when it is still pending and due; undefined when it is not (or another worker holds it). */
  lockDueSend(sendKey: string, now: Date): Promise<DueSend | undefined>;
  markSent(sendKey: string, now: Date): Promise<void>;
  markSendDead(sendKey: string, attempts: number, reason: string): Promise<void>;
  retrySend(sendKey: string, attempts: number, reason: string, at: Date): Promise<void>;
}

export interface SendStore {
  transaction<T>(work: (tx: SendTransaction) => Promise<T>): Promise<T>;
  /** Keys of the sends due at `now`, oldest first. */
  dueSendKeys(now: Date, limit: number): Promise<string[]>;
}
