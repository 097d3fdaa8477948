import { useState } from 'react';
import type { ApprovalPolicySchemas } from '@kairos/api-client';
import { durationText, LoadError, Message, relative, useAction, useApi, usePolled, when } from '../api';
import { durationMs } from './Requester';

type InboxItem = ApprovalPolicySchemas['schemas']['InboxItemDto'];

const SHORTER = ['PT15M', 'PT30M', 'PT1H', 'PT2H', 'PT4H', 'PT8H', 'P1D', 'P3D'];

/** The approver's inbox: every item waiting for the signed-in person, with the context to decide. */
export function InboxScreen() {
  const { client } = useApi();
  const inbox = usePolled(async () => (await client.policy.GET('/v1/reviews', { params: { query: { assignee: 'me' } as never } })).data, []);
  const action = useAction();
  const items = inbox.data?.items ?? [];
  return (
    <section aria-labelledby="inbox-heading">
      <h2 id="inbox-heading">Waiting for you ({items.length})</h2>
      <LoadError error={inbox.error} />
      <Message message={action.message} />
      {items.length === 0 ? (
        <p>Nothing waits for your decision.</p>
      ) : (
        items.map((item) => <ReviewCard key={`${item.requestId}/${item.itemId}/${item.kind}`} item={item} busy={action.busy} run={(what, done) => void action.run(async () => (await what(), done)).then(inbox.reload)} />)
      )}
    </section>
  );
}

function ReviewCard(props: { item: InboxItem; busy: boolean; run: (what: () => Promise<unknown>, done: string) => void }) {
  const { client } = useApi();
  const { item } = props;
  const [comment, setComment] = useState('');
  const [shorten, setShorten] = useState('');
  const who = item.requester.displayName ?? item.requester.id;
  const label = `${who}: ${item.resource.name} ${item.resource.role}`;
  const headingId = `review-${item.requestId}-${item.itemId}-${item.kind}`;
  const shorter = SHORTER.filter((d) => durationMs(d) < durationMs(item.duration));
  const decide = (decision: 'approve' | 'deny') =>
    props.run(
      () =>
        client.policy.POST('/v1/access-requests/{id}/reviews', {
          params: { path: { id: item.requestId } },
          body: { itemId: item.itemId, decision, ...(comment.trim() ? { comment: comment.trim() } : {}), ...(decision === 'approve' && shorten ? { shortenDurationTo: shorten } : {}) },
        }),
      `${item.kind === 'ratification' ? (decision === 'approve' ? 'Ratified' : 'Rejected') : decision === 'approve' ? 'Approved' : 'Denied'}: ${label}${decision === 'approve' && shorten ? ` for ${durationText(shorten)}` : ''}`,
    );
  return (
    <article className="card" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {item.kind === 'ratification' ? 'Ratify break-glass: ' : item.kind === 'extension' ? 'Extension: ' : ''}
        {who} asks for {item.resource.name} ({item.resource.role})
      </h3>
      {item.breakGlass && (
        <p className="warning" role="note">
          Break-glass: the access was granted at once, without approval. Ratify it if the emergency was real; rejecting it revokes the access.
        </p>
      )}
      <dl className="facts">
        <dt>Who</dt>
        <dd>
          {who} ({item.requester.id}, {item.requester.kind}){item.requester.managerId ? `, reports to ${item.requester.managerId}` : ''}
          {item.onBehalfOf ? `; asked on their behalf by ${item.onBehalfOf}` : ''}
        </dd>
        <dt>What</dt>
        <dd>
          {item.resource.name} ({item.resource.id}), role {item.resource.role}, tier {item.resource.tier}
        </dd>
        <dt>Why</dt>
        <dd>
          {item.justification}
          {item.ticket ? ` (ticket ${item.ticket})` : ''}
        </dd>
        <dt>Duration</dt>
        <dd>
          {durationText(item.duration)}
          {item.extensionRequestedUntil ? `; extension asked until ${when(item.extensionRequestedUntil)}` : ''}
        </dd>
        <dt>Step</dt>
        <dd>
          {item.step.index + 1}. {item.step.name} ({item.step.required} needed, asked: {item.step.approvers.join(', ')})
        </dd>
        <dt>Asked</dt>
        <dd>
          {when(item.requestedAt)}; decide {relative(item.deadline)}
        </dd>
      </dl>
      <details>
        <summary>History: {item.history.length} earlier request(s) of {who} for this resource</summary>
        {item.history.length === 0 ? (
          <p>None.</p>
        ) : (
          <ul>
            {item.history.map((h) => (
              <li key={`${h.requestId}/${h.itemId}`}>
                {when(h.requestedAt)}: {h.role}, “{h.justification}” — {h.outcome}
                {h.breakGlass ? ' (break-glass)' : ''}
              </li>
            ))}
          </ul>
        )}
      </details>
      <div className="row">
        <label className="grow">
          Comment<span className="sr-only"> on {label}</span>
          <input value={comment} onChange={(e) => setComment(e.target.value)} />
        </label>
        {item.kind === 'approval' && shorter.length > 0 && (
          <label>
            Shorten to<span className="sr-only"> ({label})</span>
            <select value={shorten} onChange={(e) => setShorten(e.target.value)}>
              <option value="">as asked ({durationText(item.duration)})</option>
              {shorter.map((d) => (
                <option key={d} value={d}>
                  {durationText(d)}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div className="actions">
        <button type="button" className="primary" disabled={props.busy} onClick={() => decide('approve')}>
          {item.kind === 'ratification' ? 'Ratify' : 'Approve'}
          <span className="sr-only"> {label}</span>
        </button>
        <button type="button" disabled={props.busy} onClick={() => decide('deny')}>
          {item.kind === 'ratification' ? 'Reject' : 'Deny'}
          <span className="sr-only"> {label}</span>
        </button>
      </div>
    </article>
  );
}
