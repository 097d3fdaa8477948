import { useId, useMemo, useState } from 'react';
import type { ApprovalPolicySchemas, ProvisioningSchemas, RequestSchemas } from '@kairos/api-client';
import { durationText, LoadError, Message, relative, useAction, useApi, usePolled, when } from '../api';

type Entry = ApprovalPolicySchemas['schemas']['CatalogueEntryDto'];
type RequestView = RequestSchemas['schemas']['AccessRequestViewDto'];
type ItemView = RequestSchemas['schemas']['ItemViewDto'];
type Approval = ApprovalPolicySchemas['schemas']['CatalogueApprovalDto'];
export interface Pick {
  readonly resourceId: string;
  readonly role: string;
}

const ISO_DURATION = /^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;

/** ISO 8601 duration to milliseconds (days, hours, minutes, seconds: what the services accept). */
export function durationMs(iso: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!m) return NaN;
  return ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000 + Number(m[4] ?? 0) * 1000;
}

/** Who decides, in words: "approval by Maria Manager, then Bob DBA", or "no approval needed". */
export function approvalText(approval: Approval | undefined): string {
  if (!approval) return 'unknown (see why below)';
  if (!approval.required) return 'no approval needed';
  const steps = approval.steps.map((s) => `${s.required > 1 ? `${s.required} of ` : ''}${s.approvers.map((a) => a.displayName).join(', ') || s.name}`);
  return `approval by ${steps.join(', then ')}`;
}

/** The requester's area: the catalogue, the request form (one or many resources) and my requests. */
export function RequesterScreen(props: { onBehalf?: boolean }) {
  const [picked, setPicked] = useState<Pick[]>([]);
  const [query, setQuery] = useState('');
  const [tier, setTier] = useState('');
  const { client } = useApi();
  const catalogue = usePolled(async () => (await client.policy.GET('/v1/catalogue', { params: { query: { ...(query ? { query } : {}), ...(tier ? { tier: Number(tier) } : {}), limit: 100 } as never } })).data, [query, tier], 15_000);
  const entries = catalogue.data?.items ?? [];
  const toggle = (pick: Pick) =>
    setPicked((current) => (current.some((p) => p.resourceId === pick.resourceId && p.role === pick.role) ? current.filter((p) => !(p.resourceId === pick.resourceId && p.role === pick.role)) : [...current, pick]));
  return (
    <>
      <section aria-labelledby="catalogue-heading">
        <h2 id="catalogue-heading">Catalogue</h2>
        <form role="search" aria-label="Catalogue" className="row" onSubmit={(e) => e.preventDefault()}>
          <label>
            Search resources
            <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="name, id or owner" />
          </label>
          <label>
            Tier
            <select value={tier} onChange={(e) => setTier(e.target.value)}>
              <option value="">any</option>
              {[0, 1, 2, 3, 4].map((t) => (
                <option key={t} value={t}>tier {t}</option>
              ))}
            </select>
          </label>
        </form>
        <LoadError error={catalogue.error} />
        <CatalogueTable entries={entries} picked={picked} onToggle={toggle} />
      </section>
      <RequestForm entries={entries} picked={picked} onRemove={toggle} onSubmitted={() => setPicked([])} onBehalf={props.onBehalf} />
      {!props.onBehalf && <MyRequests entries={entries} />}
    </>
  );
}

function CatalogueTable(props: { entries: Entry[]; picked: Pick[]; onToggle: (pick: Pick) => void }) {
  if (props.entries.length === 0) return <p>No resource matches.</p>;
  return (
    <table>
      <caption>Resources you can see, with who decides and your current access</caption>
      <thead>
        <tr>
          <th scope="col">Resource</th>
          <th scope="col">Tier</th>
          <th scope="col">Durations</th>
          <th scope="col">Approval</th>
          <th scope="col">My access</th>
          <th scope="col">Add roles</th>
        </tr>
      </thead>
      <tbody>
        {props.entries.map((entry) => (
          <tr key={entry.id}>
            <th scope="row">
              {entry.name}
              <div className="muted">
                {entry.id} · owners {entry.owners.map((o) => o.displayName).join(', ') || '—'}
              </div>
              {entry.problems.length > 0 && (
                <ul className="problems" aria-label={`Why you cannot request ${entry.name}`}>
                  {entry.problems.map((p) => (
                    <li key={p.code}>{p.message}</li>
                  ))}
                </ul>
              )}
            </th>
            <td>{entry.tier}</td>
            <td>
              default {durationText(entry.durations.default)}, max {durationText(entry.durations.maximum)}
            </td>
            <td>
              {approvalText(entry.approval as Approval | undefined)}
              {entry.breakGlassAllowed && <div className="muted">break-glass allowed</div>}
            </td>
            <td>
              {entry.myAccess.length === 0
                ? 'none'
                : entry.myAccess.map((a) => (
                    <div key={a.itemId}>
                      {a.role}: {a.status.replace(/_/g, ' ')}
                      {a.expiresAt ? `, ends ${relative(a.expiresAt)}` : ''}
                    </div>
                  ))}
            </td>
            <td>
              {entry.roles.map((role) => (
                <label key={role} className="check">
                  <input
                    type="checkbox"
                    checked={props.picked.some((p) => p.resourceId === entry.id && p.role === role)}
                    onChange={() => props.onToggle({ resourceId: entry.id, role })}
                    disabled={entry.problems.some((p) => p.code === 'NOT_ALLOWED_TO_REQUEST')}
                  />
                  {role}
                  <span className="sr-only"> of {entry.name}</span>
                </label>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RequestForm(props: { entries: Entry[]; picked: Pick[]; onRemove: (pick: Pick) => void; onSubmitted: () => void; onBehalf?: boolean }) {
  const { client } = useApi();
  const action = useAction();
  const [justification, setJustification] = useState('');
  const [ticket, setTicket] = useState('');
  const [preset, setPreset] = useState('');
  const [custom, setCustom] = useState('');
  const [breakGlass, setBreakGlass] = useState(false);
  const [behalfOf, setBehalfOf] = useState('');
  const [behalfKind, setBehalfKind] = useState<'person' | 'service'>('person');
  const customId = useId();
  const chosen = props.picked.map((p) => ({ pick: p, entry: props.entries.find((e) => e.id === p.resourceId) }));
  const entries = [...new Map(chosen.filter((c) => c.entry).map((c) => [c.entry!.id, c.entry!])).values()];
  // The strictest of the chosen resources rules: the shortest maximum, every approval.
  const maximum = entries.map((e) => e.durations.maximum).filter((m): m is string => !!m).sort((a, b) => durationMs(a) - durationMs(b))[0];
  const presets = useMemo(() => [...new Set(entries.flatMap((e) => e.durations.presets))].sort((a, b) => durationMs(a) - durationMs(b)), [entries]);
  const approvals = entries.filter((e) => e.approval?.required);
  const breakGlassAllowed = entries.length > 0 && entries.every((e) => e.breakGlassAllowed);
  const duration = preset === 'custom' ? custom.trim() : preset;
  const customInvalid = preset === 'custom' && custom.trim() !== '' && (!ISO_DURATION.test(custom.trim()) || (maximum !== undefined && durationMs(custom.trim()) > durationMs(maximum)));

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    void action
      .run(async () => {
        const { data } = await client.requests.POST('/v1/access-requests', {
          body: {
            items: props.picked.map((p) => ({ resourceId: p.resourceId, role: p.role })),
            justification,
            ...(duration ? { duration } : {}),
            ...(ticket.trim() ? { ticket: ticket.trim() } : {}),
            ...(breakGlass ? { breakGlass: true } : {}),
            ...(props.onBehalf ? { onBehalfOf: behalfOf.trim(), onBehalfOfKind: behalfKind } : {}),
          },
        });
        return `Request ${data?.requestId ?? ''} submitted${props.onBehalf ? ` for ${behalfOf.trim()}` : ''}: ${data?.status ?? ''}`;
      })
      .then((ok) => {
        if (!ok) return;
        setJustification('');
        setTicket('');
        setBreakGlass(false);
        props.onSubmitted();
      });
  };

  return (
    <section aria-labelledby="request-heading">
      <h2 id="request-heading">{props.onBehalf ? 'Request on behalf of someone' : 'New request'}</h2>
      <form onSubmit={submit} aria-labelledby="request-heading">
        {props.onBehalf && (
          <div className="row">
            <label>
              For (identity id)
              <input value={behalfOf} onChange={(e) => setBehalfOf(e.target.value)} required />
            </label>
            <label>
              Kind
              <select value={behalfKind} onChange={(e) => setBehalfKind(e.target.value as 'person' | 'service')}>
                <option value="person">person</option>
                <option value="service">service account</option>
              </select>
            </label>
          </div>
        )}
        {props.picked.length === 0 ? (
          <p>Choose one or more roles in the catalogue above.</p>
        ) : (
          <ul aria-label="Chosen resources" className="chosen">
            {chosen.map(({ pick, entry }) => (
              <li key={`${pick.resourceId}/${pick.role}`}>
                {entry?.name ?? pick.resourceId} — {pick.role}{' '}
                <button type="button" onClick={() => props.onRemove(pick)}>
                  Remove<span className="sr-only"> {entry?.name ?? pick.resourceId} {pick.role}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <p data-testid="request-limits">
          Maximum duration: <strong>{maximum ? durationText(maximum) : '—'}</strong>.{' '}
          {entries.length === 0 ? '' : approvals.length === 0 ? 'No approval needed: access starts at once.' : `Approval needed for ${approvals.map((e) => `${e.name} (${approvalText(e.approval as Approval)})`).join('; ')}.`}
        </p>
        <label className="block">
          Justification
          <textarea value={justification} onChange={(e) => setJustification(e.target.value)} required rows={3} />
        </label>
        <div className="row">
          <label>
            Ticket reference (optional)
            <input value={ticket} onChange={(e) => setTicket(e.target.value)} placeholder="e.g. OPS-1234" />
          </label>
          <label>
            Duration
            <select value={preset} onChange={(e) => setPreset(e.target.value)}>
              <option value="">the resource's default</option>
              {presets.map((p) => (
                <option key={p} value={p}>
                  {durationText(p)}
                </option>
              ))}
              <option value="custom">custom…</option>
            </select>
          </label>
          {preset === 'custom' && (
            <label htmlFor={customId}>
              Custom duration (ISO 8601, e.g. PT3H)
              <input id={customId} value={custom} onChange={(e) => setCustom(e.target.value)} aria-invalid={customInvalid} aria-describedby={`${customId}-hint`} required />
              <span id={`${customId}-hint`} className={customInvalid ? 'error' : 'muted'}>
                {customInvalid ? `Not a duration up to ${durationText(maximum)}` : `up to ${durationText(maximum)}`}
              </span>
            </label>
          )}
        </div>
        {breakGlassAllowed && (
          <label className="check">
            <input type="checkbox" checked={breakGlass} onChange={(e) => setBreakGlass(e.target.checked)} />
            Break glass (emergency)
          </label>
        )}
        {breakGlass && (
          <p className="warning" role="note">
            Break-glass grants access at once, without approval. It is recorded, everyone concerned is told, and it must be ratified afterwards; if nobody ratifies it in time, or
            someone rejects it, the access is revoked.
          </p>
        )}
        <button type="submit" className="primary" disabled={action.busy || props.picked.length === 0 || customInvalid}>
          {breakGlass ? 'Break glass now' : 'Submit request'}
        </button>
        <Message message={action.message} />
      </form>
    </section>
  );
}

function MyRequests(props: { entries: Entry[] }) {
  const { client, session } = useApi();
  const list = usePolled(async () => (await client.requests.GET('/v1/access-requests', { params: { query: { requester: session.sub, limit: 50 } as never } })).data, []);
  const action = useAction();
  const act = (what: () => Promise<unknown>, done: string) => void action.run(async () => (await what(), done)).then(list.reload);
  const requests = list.data?.items ?? [];
  return (
    <section aria-labelledby="mine-heading">
      <h2 id="mine-heading">My requests</h2>
      <LoadError error={list.error} />
      <Message message={action.message} />
      {requests.length === 0 ? (
        <p>No requests yet.</p>
      ) : (
        requests.map((r) => (
          <RequestCard key={r.requestId} request={r} entries={props.entries} busy={action.busy} act={act} />
        ))
      )}
    </section>
  );
}

function RequestCard(props: { request: RequestView; entries: Entry[]; busy: boolean; act: (what: () => Promise<unknown>, done: string) => void }) {
  const { client } = useApi();
  const r = props.request;
  const headingId = `req-${r.requestId}`;
  const cancellable = r.items.filter((i) => i.status === 'awaiting_approval' || i.status === 'approved');
  return (
    <article className="card" aria-labelledby={headingId} data-request-id={r.requestId}>
      <h3 id={headingId}>
        {r.breakGlass && <span className="badge">break-glass</span>} {r.justification}
      </h3>
      <p className="muted">
        Request {r.requestId} · {r.status.replace(/_/g, ' ')} · asked {when(r.requestedAt)} · {durationText(r.duration)}
        {r.ticket ? ` · ticket ${r.ticket}` : ''}
        {r.onBehalf ? ` · asked by ${r.requestedBy}` : ''}
      </p>
      <table>
        <caption className="sr-only">Items of request {r.requestId}</caption>
        <thead>
          <tr>
            <th scope="col">Resource and role</th>
            <th scope="col">Status</th>
            <th scope="col">Approval</th>
            <th scope="col">Fulfilment</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {r.items.map((item) => (
            <ItemRow key={item.itemId} request={r} item={item} entry={props.entries.find((e) => e.id === item.resourceId)} busy={props.busy} act={props.act} />
          ))}
        </tbody>
      </table>
      {cancellable.length > 0 && (
        <button
          type="button"
          disabled={props.busy}
          onClick={() => props.act(() => client.requests.POST('/v1/access-requests/{id}/cancel', { params: { path: { id: r.requestId } }, body: { reason: 'cancelled in the console' } }), `Request ${r.requestId} cancelled`)}
        >
          Cancel request<span className="sr-only"> {r.justification}</span>
        </button>
      )}
    </article>
  );
}

function approvalCell(item: ItemView, entry: Entry | undefined): string {
  const approval = item.approval as RequestSchemas['schemas']['ItemApprovalDto'] | undefined;
  if (approval) return `approved (${approval.via.replace(/_/g, ' ')}) ${when(approval.approvedAt)}`;
  if (item.status === 'denied') return `denied${item.outcomeReason ? `: ${item.outcomeReason}` : ''}`;
  if (item.currentStep) {
    const step = entry?.approval?.steps[item.currentStep.index];
    const who = step?.approvers.map((a) => a.displayName).join(', ');
    return `waiting: step ${item.currentStep.index + 1} "${item.currentStep.name}" (${item.currentStep.approvals}/${item.currentStep.required})${who ? `, asked: ${who}` : ''}${item.pendingExpiresAt ? `, lapses ${relative(item.pendingExpiresAt)}` : ''}`;
  }
  return '—';
}

function fulfilmentCell(item: ItemView): string {
  if (item.status === 'active') return `granted ${when(item.grantedAt)}${item.verified ? ' (verified)' : ''}; ends ${relative(item.expiresAt)}${item.pendingExtension ? `; extension to ${when(item.pendingExtension.requestedExpiresAt)} asked` : ''}`;
  if (item.status === 'provisioning' || item.status === 'approved') return `being provisioned${item.provisioningAttempts ? ` (attempt ${item.provisioningAttempts})` : ''}${item.lastFailure ? `: ${item.lastFailure.reason}` : ''}`;
  if (item.endedAt) return `ended ${when(item.endedAt)}${item.revocationReason ? ` (${item.revocationReason.replace(/_/g, ' ')})` : ''}`;
  if (item.status === 'failed') return `failed${item.lastFailure ? `: ${item.lastFailure.reason}` : ''}`;
  return '—';
}

function ItemRow(props: { request: RequestView; item: ItemView; entry: Entry | undefined; busy: boolean; act: (what: () => Promise<unknown>, done: string) => void }) {
  const { client } = useApi();
  const { item, request } = props;
  const [by, setBy] = useState('PT1H');
  const label = `${props.entry?.name ?? item.resourceId} ${item.role}`;
  return (
    <tr data-item={`${item.resourceId}/${item.role}`}>
      <th scope="row">
        {props.entry?.name ?? item.resourceId} — {item.role}
      </th>
      <td data-testid="item-status">{item.status.replace(/_/g, ' ')}</td>
      <td>{approvalCell(item, props.entry)}</td>
      <td>
        {fulfilmentCell(item)}
        {item.breakGlass && <div className="muted">{item.breakGlass.ratifiedBy ? `ratified by ${item.breakGlass.ratifiedBy}` : `to be ratified by ${when(item.breakGlass.ratifyBy)}`}</div>}
      </td>
      <td>
        {item.status === 'active' && (
          <div className="actions">
            <label>
              Extend by<span className="sr-only"> ({label})</span>
              <select value={by} onChange={(e) => setBy(e.target.value)}>
                {['PT30M', 'PT1H', 'PT4H', 'P1D'].map((d) => (
                  <option key={d} value={d}>
                    {durationText(d)}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              disabled={props.busy}
              onClick={() => props.act(() => client.requests.POST('/v1/access-requests/{id}/extend', { params: { path: { id: request.requestId } }, body: { itemId: item.itemId, by } }), `Extension of ${label} asked`)}
            >
              Extend<span className="sr-only"> {label}</span>
            </button>
            <button
              type="button"
              disabled={props.busy}
              onClick={() => props.act(() => client.requests.POST('/v1/access-requests/{id}/release', { params: { path: { id: request.requestId } }, body: { itemId: item.itemId } }), `${label} released`)}
            >
              Release<span className="sr-only"> {label}</span>
            </button>
            {props.entry?.issuesCredentials && item.grantId && <ShowCredentials grantId={item.grantId} label={label} />}
          </div>
        )}
      </td>
    </tr>
  );
}

type Credentials = ProvisioningSchemas['schemas']['CredentialsResponse'];

/**
 * The short-lived login of one grant, fetched when asked and shown once: the password comes in the
 * provisioning connector's first answer only. It lives in this component's state alone (never
 * localStorage, sessionStorage, a URL or a log) and is gone on Hide, on leaving the page or on reload.
 */
function ShowCredentials(props: { grantId: string; label: string }) {
  const { client } = useApi();
  const action = useAction();
  const [shown, setShown] = useState<Credentials>();
  const [copied, setCopied] = useState('');
  const panelId = useId();
  const fetchOnce = () =>
    void action.run(async () => {
      const { data } = await client.provisioning.GET('/v1/credentials/{grantId}', { params: { path: { grantId: props.grantId } } });
      setShown(data);
      return data?.password ? `Credentials of ${props.label} shown below` : `The password of ${props.label} was already ${data?.passwordGone ?? 'delivered'}`;
    });
  const copy = (what: string, text: string) =>
    void navigator.clipboard.writeText(text).then(
      () => setCopied(`${what} copied`),
      () => setCopied(`could not copy the ${what}: select it and copy by hand`),
    );
  if (!shown) {
    return (
      <>
        <button type="button" disabled={action.busy} onClick={fetchOnce}>
          Show credentials<span className="sr-only"> of {props.label}</span>
        </button>
        <Message message={action.message} />
      </>
    );
  }
  const c = shown.connection as Record<string, string | number>;
  const uri = shown.password ? `postgresql://${encodeURIComponent(shown.login)}:${encodeURIComponent(shown.password)}@${c.host}:${c.port}/${encodeURIComponent(String(c.database))}` : '';
  return (
    <div className="credentials" role="region" aria-labelledby={panelId}>
      <h4 id={panelId}>Credentials of {props.label}</h4>
      {shown.password ? (
        <p className="warning" role="note">
          Shown once: Kairos will not show this password again. Keep it now; the database refuses it after {when(shown.validUntil)} ({relative(shown.validUntil)}).
        </p>
      ) : (
        <p className="warning" role="note">
          The password was already {shown.passwordGone ?? 'delivered'} and is not shown again (fingerprint {shown.fingerprint}). It works until {when(shown.validUntil)}.
        </p>
      )}
      <dl>
        <dt>Login</dt>
        <dd data-testid="credentials-login">{shown.login}</dd>
        {shown.password && (
          <>
            <dt>Password</dt>
            <dd>
              <code data-testid="credentials-password">{shown.password}</code>{' '}
              <button type="button" onClick={() => copy('password', shown.password!)}>
                Copy password
              </button>
            </dd>
          </>
        )}
        <dt>Host</dt>
        <dd data-testid="credentials-host">{String(c.host ?? '')}</dd>
        <dt>Port</dt>
        <dd data-testid="credentials-port">{String(c.port ?? '')}</dd>
        <dt>Database</dt>
        <dd data-testid="credentials-database">{String(c.database ?? '')}</dd>
        <dt>Valid until</dt>
        <dd>{when(shown.validUntil)}</dd>
        {uri && (
          <>
            <dt>Connection string</dt>
            <dd>
              <button type="button" onClick={() => copy('connection string', uri)}>
                Copy connection string
              </button>
            </dd>
          </>
        )}
      </dl>
      <div aria-live="polite" className="live">
        {copied && <p role="status">{copied}</p>}
      </div>
      <button type="button" onClick={() => setShown(undefined)}>
        Hide credentials<span className="sr-only"> of {props.label}</span>
      </button>
    </div>
  );
}
