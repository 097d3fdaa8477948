import { canReview, checkReviewerIdentity, openRound } from '@kairos/access-request-domain';
import type { Clock } from '@kairos/clock';
import type { DirectoryReader } from '../../domain/directory-store';
import { afterPendingVotes } from '../../domain/pending-votes';
import { inboxItem, type InboxItem } from './inbox-item';
import type { RequestCopy, ResourceNames } from './ports';

/** The items a person may review now, by the same rules a review is judged with. */
export class ListInbox {
  constructor(
    private readonly views: RequestCopy,
    private readonly directory: Pick<DirectoryReader, 'identity'>,
    private readonly catalogue: ResourceNames,
    private readonly clock: Clock,
  ) {}

  async execute(reviewerId: string): Promise<InboxItem[]> {
    // Someone the directory no longer lets review (deactivated, a service account) has an empty inbox.
    if (checkReviewerIdentity(reviewerId, await this.directory.identity(reviewerId), undefined)) return [];
    const open = await this.views.open();
    const votes = await this.views.votes(open.map((request) => request.requestId));
    const now = this.clock.now().toISOString();
    const names = await this.catalogue.resourceNames([...new Set(open.flatMap((request) => request.items.map((item) => item.resourceId)))]);
    const items: InboxItem[] = [];
    for (const stored of open) {
      const request = afterPendingVotes(
        stored,
        votes.filter((vote) => vote.requestId === stored.requestId),
      );
      for (const item of request.items) {
        if (!openRound(item)) continue;
        const verdict = canReview(request, { reviewerId, itemId: item.itemId, decision: 'approve', now });
        if (!verdict.ok) continue;
        const requester = await this.directory.identity(request.requester.id);
        const earlier = await this.views.history(request.requester.id, [item.resourceId]);
        items.push(inboxItem(request, verdict.item, verdict.round, requester, names.get(item.resourceId), earlier));
      }
    }
    return items.sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0));
  }
}
