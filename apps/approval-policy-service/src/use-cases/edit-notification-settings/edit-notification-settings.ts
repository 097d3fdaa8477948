import { refuse } from '@kairos/refusal';
import type { NotificationContact, NotifyChannel } from '../../domain/notification-settings';
import type { NotificationSettingsStore } from './ports';

const notFound = (id: string) => refuse.notFound('IDENTITY_NOT_FOUND', `no identity ${id}`);

export interface NotificationSettingsChange {
  readonly identityId: string;
  readonly slackUserId?: string;
  readonly notify?: readonly NotifyChannel[];
  /** Whether an admin makes the change: only an admin links a Slack user. */
  readonly byAdmin: boolean;
}

/** How a person is told (Slack user, channels), read and chosen by the person themself or an admin (ADR 0016). */
export class EditNotificationSettings {
  constructor(private readonly settings: NotificationSettingsStore) {}

  async get(identityId: string): Promise<NotificationContact> {
    const [contact] = await this.settings.byIds([identityId]);
    if (!contact) throw notFound(identityId);
    return contact;
  }

  async put(change: NotificationSettingsChange): Promise<NotificationContact> {
    const { identityId, slackUserId, notify } = change;
    // Linking a Slack user decides whose review a Slack click becomes: only an admin links one.
    if (slackUserId !== undefined && !change.byAdmin) {
      const [current] = await this.settings.byIds([identityId]);
      if (current?.slackUserId !== slackUserId) throw refuse.forbidden('FORBIDDEN', 'only an admin links a Slack user to an identity');
    }
    const written = await this.settings.put(identityId, { ...(slackUserId ? { slackUserId } : {}), ...(notify ? { notify } : {}) });
    if (written === 'unknown_identity') throw notFound(identityId);
    if (written === 'slack_user_taken') throw refuse.conflict('SLACK_USER_TAKEN', `Slack user ${slackUserId} is already linked to another identity`);
    return (await this.settings.byIds([identityId]))[0] as NotificationContact;
  }
}
