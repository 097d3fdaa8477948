import { kairos } from '../client';
import { EXIT, usage } from '../exit-codes';
import type { CliOptions } from '../main';
import { table, type Output } from '../output';

/** `kairos review`: the caller's inbox, and approve / deny / ratify with a comment for the evidence. */
export async function reviewCommand(action: string | undefined, positionals: readonly string[], options: CliOptions, out: Output): Promise<number> {
  const api = kairos().policy;
  if (action === 'ls' || action === 'list') {
    const { data } = await api.GET('/v1/reviews', { params: { query: { assignee: 'me' } as never } });
    const items = data?.items ?? [];
    out.result(data, () =>
      items.length === 0
        ? 'nothing waits for your review'
        : table(
            items.map((i) => [i.requestId, i.itemId, i.kind, `${i.resource.id}:${i.resource.role}`, i.resource.tier, i.requester.id, i.duration, i.step.name, i.deadline, i.justification]),
            ['REQUEST', 'ITEM', 'KIND', 'ACCESS', 'TIER', 'REQUESTER', 'DURATION', 'STEP', 'DEADLINE', 'REASON'],
          ),
    );
    return EXIT.ok;
  }
  if (action !== 'approve' && action !== 'deny' && action !== 'ratify') throw usage('kairos review ls|approve|deny|ratify <request>');
  const [requestId] = positionals;
  if (!requestId) throw usage('give the request id');
  const decision = action === 'deny' || (action === 'ratify' && options.reject) ? 'deny' : 'approve';
  if (decision === 'deny' && !options.comment) throw usage('--comment is required to deny: the requester and the evidence read it');
  const body = {
    itemId: options.item?.[0] ?? 'i1',
    decision,
    ...(options.comment ? { comment: options.comment } : {}),
    ...(options.shorten && decision === 'approve' ? { shortenDurationTo: options.shorten } : {}),
  };
  const { data } = await api.POST('/v1/access-requests/{id}/reviews', { params: { path: { id: requestId } }, body } as never);
  out.result(data, `${decision === 'approve' ? 'approved' : 'denied'} ${requestId}/${body.itemId} (review ${(data as { reviewId?: string } | undefined)?.reviewId ?? '?'})`);
  return EXIT.ok;
}
