import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NOTIFY_CHANNELS, type NotificationContact, type NotificationSettings, type NotifyChannel } from '../../domain/notification-settings';
import type { NotificationSettingsStore, SettingsWrite } from '../../use-cases/edit-notification-settings/ports';

interface ContactRow {
  id: string;
  kind: 'person' | 'service';
  display_name: string;
  email: string | null;
  active: boolean;
  slack_user_id: string | null;
  notify: string[] | null;
}

const toContact = (row: ContactRow): NotificationContact => ({
  id: row.id,
  kind: row.kind,
  displayName: row.display_name,
  ...(row.email ? { email: row.email } : {}),
  active: row.active,
  ...(row.slack_user_id ? { slackUserId: row.slack_user_id } : {}),
  ...(row.notify ? { notify: row.notify.filter((c): c is NotifyChannel => (NOTIFY_CHANNELS as readonly string[]).includes(c)) } : {}),
});

const CONTACT_SELECT = `SELECT i.id, i.kind, i.display_name, i.email, i.active, s.slack_user_id, s.notify
  FROM identities i LEFT JOIN notification_settings s ON s.identity_id = i.id`;

@Injectable()
export class NotificationSettingsRepository implements NotificationSettingsStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async byIds(ids: readonly string[]): Promise<NotificationContact[]> {
    const rows: ContactRow[] = await this.dataSource.query(`${CONTACT_SELECT} WHERE i.id = ANY($1) ORDER BY i.id`, [[...ids]]);
    return rows.map(toContact);
  }

  async bySlackUser(slackUserId: string): Promise<NotificationContact[]> {
    const rows: ContactRow[] = await this.dataSource.query(`${CONTACT_SELECT} WHERE s.slack_user_id = $1`, [slackUserId]);
    return rows.map(toContact);
  }

  async byGroup(groupId: string): Promise<NotificationContact[]> {
    const rows: ContactRow[] = await this.dataSource.query(
      `${CONTACT_SELECT} WHERE i.id IN (SELECT identity_id FROM group_members WHERE group_id = $1) ORDER BY i.id`,
      [groupId],
    );
    return rows.map(toContact);
  }

  /** Nothing is written when the identity does not exist or another one has that Slack user. */
  async put(identityId: string, settings: NotificationSettings): Promise<SettingsWrite> {
    return this.dataSource.transaction(async (tx) => {
      const exists: unknown[] = await tx.query('SELECT 1 FROM identities WHERE id = $1 FOR SHARE', [identityId]);
      if (exists.length === 0) return 'unknown_identity';
      if (settings.slackUserId !== undefined) {
        const taken: { identity_id: string }[] = await tx.query(
          'SELECT identity_id FROM notification_settings WHERE slack_user_id = $1 AND identity_id <> $2',
          [settings.slackUserId, identityId],
        );
        if (taken.length > 0) return 'slack_user_taken';
      }
      await tx.query(
        `INSERT INTO notification_settings (identity_id, slack_user_id, notify) VALUES ($1, $2, $3)
         ON CONFLICT (identity_id) DO UPDATE SET slack_user_id = EXCLUDED.slack_user_id, notify = EXCLUDED.notify, updated_at = now()`,
        [identityId, settings.slackUserId ?? null, settings.notify ? [...new Set(settings.notify)] : null],
      );
      return 'saved';
    });
  }
}
