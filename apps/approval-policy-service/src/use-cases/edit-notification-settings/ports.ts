import type { NotificationContact, NotificationSettings } from '../../domain/notification-settings';

/** What a write of someone's notification settings did: nothing is written unless `saved`. */
export type SettingsWrite = 'saved' | 'unknown_identity' | 'slack_user_taken';

export interface NotificationSettingsStore {
  byIds(ids: readonly string[]): Promise<NotificationContact[]>;
  put(identityId: string, settings: NotificationSettings): Promise<SettingsWrite>;
}
