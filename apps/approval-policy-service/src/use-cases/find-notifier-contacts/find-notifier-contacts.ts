import type { NotificationContact } from '../../domain/notification-settings';
import type { ContactDirectory } from './ports';

/** One way of naming the people the notifier must reach. */
export type ContactQuery = { readonly ids: readonly string[] } | { readonly slackUserId: string } | { readonly group: string };

/** The notifier's read of the directory: how to reach people, by ids, by their Slack user or by group. */
export class FindNotifierContacts {
  constructor(private readonly contacts: ContactDirectory) {}

  execute(query: ContactQuery): Promise<NotificationContact[]> {
    if ('ids' in query) return this.contacts.byIds(query.ids);
    if ('slackUserId' in query) return this.contacts.bySlackUser(query.slackUserId);
    return this.contacts.byGroup(query.group);
  }
}
