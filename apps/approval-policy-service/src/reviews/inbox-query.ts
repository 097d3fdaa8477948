import { Inject, Injectable } from '@nestjs/common';
import { inboxFor } from '@kairos/approval-policy-domain';
import { CatalogueRepository } from '../catalogue/catalogue.repository';
import { DirectoryRepository } from '../directory/directory.repository';
import { RequestViewsRepository } from '../read-model/request-views.repository';
import { CLOCK, type Clock } from '../shared/clock';
import { inboxItem, type InboxItem } from './inbox';
import { toReviewable } from './reviewable';

@Injectable()
export class InboxQuery {
  constructor(
    private readonly views: RequestViewsRepository,
    private readonly directory: DirectoryRepository,
    private readonly catalogue: CatalogueRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(reviewerId: string): Promise<InboxItem[]> {
    const open = await this.views.open();
    const votes = await this.views.votes(open.map((view) => view.requestId));
    const byId = new Map(open.map((view) => [view.requestId, view]));
    const entries = inboxFor(
      reviewerId,
      open.map((view) =>
        toReviewable(
          view,
          votes.filter((vote) => vote.requestId === view.requestId),
        ),
      ),
      this.clock.now().toISOString(),
    );
    const names = await this.catalogue.resourceNames([...new Set(open.flatMap((view) => view.items.map((item) => item.resourceId)))]);
    const items: InboxItem[] = [];
    for (const entry of entries) {
      const view = byId.get(entry.requestId);
      if (!view) continue;
      const resourceId = view.items.find((item) => item.itemId === entry.itemId)?.resourceId ?? '';
      const requester = await this.directory.identity(view.requester.id);
      const earlier = await this.views.history(view.requester.id, [resourceId]);
      items.push(inboxItem(entry, view, requester, names.get(resourceId), earlier));
    }
    return items.sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0));
  }
}
