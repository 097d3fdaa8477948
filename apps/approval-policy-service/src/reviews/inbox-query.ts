import { Inject, Injectable } from '@nestjs/common';
import { canReview, checkReviewerIdentity, openRound } from '@kairos/access-request-domain';
import { CatalogueRepository } from '../catalogue/catalogue.repository';
import { DirectoryRepository } from '../directory/directory.repository';
import { RequestViewsRepository } from '../read-model/request-views.repository';
import { CLOCK, type Clock } from '../shared/clock';
import { inboxItem, type InboxItem } from './inbox';
import { afterPendingVotes } from './pending-votes';

/** The items a person may review now, by the same rules a review is judged with. */
@Injectable()
export class InboxQuery {
  constructor(
    private readonly views: RequestViewsRepository,
    private readonly directory: DirectoryRepository,
    private readonly catalogue: CatalogueRepository,
    @Inject(CLOCK) private readonly clock: Clock,
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
