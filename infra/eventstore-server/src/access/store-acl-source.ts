import type { EventStore } from '../storage/event-store';
import type { AclSource } from './stream-acl';

/** ACLs as readers see them: the durable `$metadata` of a stream and the last `$settings` event. */
export function storeAclSource(store: EventStore): AclSource {
  let settingsAt = -1;
  let settings: unknown;
  return {
    streamAcl: (stream) => store.visibleMetadata(stream)?.raw.$acl,
    settings: () => {
      const record = store.lastVisibleRecord('$settings');
      if (!record) return undefined;
      if (record.position !== settingsAt) {
        settingsAt = record.position;
        try {
          settings = JSON.parse(Buffer.from(record.data).toString('utf8'));
        } catch {
          settings = undefined;
        }
      }
      return settings;
    },
  };
}
