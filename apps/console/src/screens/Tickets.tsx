import { useState } from 'react';
import type { ProvisioningSchemas } from '@kairos/api-client';
import { durationText, LoadError, Message, relative, useAction, useApi, usePolled, when } from '../api';

type Ticket = ProvisioningSchemas['schemas']['TicketViewDto'];

/** The fulfiller's queue: manual grants and revocations to carry out, completed or failed with a comment. */
export function TicketsScreen() {
  const { client } = useApi();
  const [status, setStatus] = useState('open');
  const list = usePolled(async () => (await client.provisioning.GET('/v1/tickets', { params: { query: (status ? { status } : {}) as never } })).data, [status]);
  const action = useAction();
  const tickets = list.data?.tickets ?? [];
  return (
    <section aria-labelledby="tickets-heading">
      <h2 id="tickets-heading">Ticket queue</h2>
      <label>
        Show
        <select value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="open">open tickets</option>
          <option value="completed">completed</option>
          <option value="failed">failed</option>
          <option value="">all</option>
        </select>
      </label>
      <LoadError error={list.error} />
      <Message message={action.message} />
      {tickets.length === 0 ? <p>No tickets.</p> : tickets.map((t) => <TicketCard key={t.id} ticket={t} busy={action.busy} run={(what, done) => void action.run(async () => (await what(), done)).then(list.reload)} />)}
    </section>
  );
}

function TicketCard(props: { ticket: Ticket; busy: boolean; run: (what: () => Promise<unknown>, done: string) => void }) {
  const { client } = useApi();
  const t = props.ticket;
  const [comment, setComment] = useState('');
  const subject = t.subject as unknown as { id: string; kind: string } | undefined;
  const label = `${t.action} ${t.resourceId} ${t.role} for ${subject?.id ?? '?'}`;
  const headingId = `ticket-${t.id}`;
  const resolve = (how: 'complete' | 'fail') =>
    props.run(
      () =>
        how === 'complete'
          ? client.provisioning.POST('/v1/tickets/{id}/complete', { params: { path: { id: t.id } }, body: { comment } })
          : client.provisioning.POST('/v1/tickets/{id}/fail', { params: { path: { id: t.id } }, body: { comment } }),
      `Ticket ${how === 'complete' ? 'completed' : 'failed'}: ${label}`,
    );
  return (
    <article className="card" aria-labelledby={headingId} data-ticket-id={t.id}>
      <h3 id={headingId}>
        {t.action === 'grant' ? 'Grant' : 'Revoke'} {t.role} on {t.resourceId} for {subject?.id ?? '?'}
      </h3>
      <dl className="facts">
        <dt>Status</dt>
        <dd>{t.status}{t.resolvedBy ? ` by ${t.resolvedBy} ${when(t.resolvedAt)}: “${t.comment}”` : ''}</dd>
        <dt>Target</dt>
        <dd>{t.target}</dd>
        <dt>Identity</dt>
        <dd>
          {subject?.id} ({subject?.kind}); asked by {t.requesterId}
        </dd>
        <dt>Duration and expiry</dt>
        <dd>
          {durationText(t.duration)}; expires {when(t.expiresAt)} ({relative(t.expiresAt)})
        </dd>
        <dt>Reason</dt>
        <dd>
          {t.action === 'revoke' ? `revocation: ${t.revocationReason}` : t.justification}
          {t.requestTicket ? ` (ticket ${t.requestTicket})` : ''}
          {t.breakGlass ? ' — break-glass' : ''}
        </dd>
        <dt>Request</dt>
        <dd>
          {t.requestId} / {t.itemId}
        </dd>
      </dl>
      {t.status === 'open' && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            resolve('complete');
          }}
        >
          <label className="block">
            Comment for the evidence<span className="sr-only"> ({label})</span>
            <input value={comment} onChange={(e) => setComment(e.target.value)} required />
          </label>
          <div className="actions">
            <button type="submit" className="primary" disabled={props.busy || !comment.trim()}>
              Complete<span className="sr-only"> {label}</span>
            </button>
            <button type="button" disabled={props.busy || !comment.trim()} onClick={() => resolve('fail')}>
              Fail<span className="sr-only"> {label}</span>
            </button>
          </div>
        </form>
      )}
    </article>
  );
}
