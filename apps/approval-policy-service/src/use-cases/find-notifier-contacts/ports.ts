import type { NotificationContact } from '../../domain/notification-settings';

export interface ContactDirectory {
  byIds(ids: readonly string[]): Promise<NotificationContact[]>;
  bySlackUser(slackUserId: string): Promise<NotificationContact[]>;
  byGroup(groupId: string): Promise<NotificationContact[]>;
}
