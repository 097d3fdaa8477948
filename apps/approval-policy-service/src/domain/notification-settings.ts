export const NOTIFY_CHANNELS = ['email', 'slack'] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

export interface NotificationSettings {
  readonly slackUserId?: string;
  /** The channels the person chose; absent means the deployment's default. */
  readonly notify?: readonly NotifyChannel[];
}

/** What the notifier needs to reach a person, and whether they may act. */
export interface NotificationContact extends NotificationSettings {
  readonly id: string;
  readonly kind: 'person' | 'service';
  readonly displayName: string;
  readonly email?: string;
  readonly active: boolean;
}
