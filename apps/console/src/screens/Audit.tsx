import { useState } from 'react';
import type { AuditSchemas } from '@kairos/api-client';
import { LoadError, Message, relative, saveFile, useAction, useApi, usePolled, when } from '../api';

type Grant = AuditSchemas['schemas']['GrantIntervalDto'];
type TimelineEntry = AuditSchemas['schemas']['TimelineEntryDto'];

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The auditor's area: timelines, who had access when, active grants, evidence and summaries to download. */
export function AuditScreen() {
  return (
    <>
      <Downloads />
      <Timeline />
      <AccessAt />
      <ActiveGrants />
    </>
  );
}

function Downloads() {
  const { client } = useApi();
  const action = useAction();
  const [from, setFrom] = useState(isoDay(Date.now() - 30 * 86_400_000));
  const [to, setTo] = useState(isoDay(Date.now() + 86_400_000));
  const [format, setFormat] = useState<'csv' | 'json'>('csv');
  const [kind, setKind] = useState<'resources' | 'groups' | 'identities'>('resources');
  const range = () => ({ from: new Date(`${from}T00:00:00Z`).toISOString(), to: new Date(`${to}T00:00:00Z`).toISOString() });
  const fetchFile = async (what: 'evidence' | 'summary') => {
    const query = { ...range(), format };
    const options = { params: { query: query as never, ...(what === 'summary' ? { path: { kind } } : {}) }, parseAs: format === 'csv' ? 'text' : 'json' } as never;
    const { data } = what === 'evidence' ? await client.audit.GET('/v1/audit/evidence', options) : await client.audit.GET('/v1/audit/summaries/{kind}', options);
    const name = `kairos-${what === 'evidence' ? 'evidence' : `summary-${kind}`}-${from}-to-${to}.${format}`;
    saveFile(name, format === 'csv' ? String(data) : JSON.stringify(data, null, 2), format === 'csv' ? 'text/csv' : 'application/json');
    return `Downloaded ${name}`;
  };
  return (
    <section aria-labelledby="downloads-heading">
      <h2 id="downloads-heading">Evidence and access summaries</h2>
      <div className="row">
        <label>
          From
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <label>
          Format
          <select value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'json')}>
            <option value="csv">CSV</option>
            <option value="json">JSON</option>
          </select>
        </label>
      </div>
      <div className="actions">
        <button type="button" className="primary" disabled={action.busy} onClick={() => void action.run(() => fetchFile('evidence'))}>
          Download evidence
        </button>
        <label>
          Summary per
          <select value={kind} onChange={(e) => setKind(e.target.value as 'resources' | 'groups' | 'identities')}>
            <option value="resources">resource</option>
            <option value="groups">group</option>
            <option value="identities">person or service account</option>
          </select>
        </label>
        <button type="button" disabled={action.busy} onClick={() => void action.run(() => fetchFile('summary'))}>
          Download summary
        </button>
      </div>
      <Message message={action.message} />
    </section>
  );
}

function Timeline() {
  const { client } = useApi();
  const [id, setId] = useState('');
  const [events, setEvents] = useState<{ id: string; events: TimelineEntry[] }>();
  const action = useAction();
  return (
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">A request's timeline</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const { data } = await client.audit.GET('/v1/audit/requests/{id}/timeline', { params: { path: { id: id.trim() } } });
            setEvents({ id: id.trim(), events: data?.events ?? [] });
            return `${data?.events.length ?? 0} events of request ${id.trim()}`;
          });
        }}
      >
        <label>
          Request id
          <input value={id} onChange={(e) => setId(e.target.value)} required />
        </label>
        <button type="submit">Show timeline</button>
      </form>
      <Message message={action.message} />
      {events && (
        <ol className="timeline" aria-label={`Timeline of request ${events.id}`}>
          {events.events.map((e) => (
            <li key={e.eventId}>
              <strong>{e.type}</strong> {when(e.recordedAt)}
              {e.status !== 'recorded' ? ` (${e.status}: ${e.problem})` : ''}
              <details>
                <summary>Data of {e.type}</summary>
                <pre>{JSON.stringify(e.data, null, 2)}</pre>
              </details>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function GrantTable(props: { caption: string; grants: Grant[] }) {
  return (
    <table>
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Who</th>
          <th scope="col">Resource and role</th>
          <th scope="col">Granted</th>
          <th scope="col">Ends or ended</th>
          <th scope="col">Request</th>
        </tr>
      </thead>
      <tbody>
        {props.grants.length === 0 && (
          <tr>
            <td colSpan={5}>none</td>
          </tr>
        )}
        {props.grants.map((g) => (
          <tr key={g.grantId}>
            <th scope="row">
              {g.subject.id} ({g.subject.kind})
            </th>
            <td>
              {g.resourceId} — {g.role}
              {g.breakGlass ? ' (break-glass)' : ''}
            </td>
            <td>
              {when(g.grantedAt)}
              {g.grantVerified ? ', verified' : ''}
            </td>
            <td>{g.endedAt ? `${when(g.endedAt)} (${g.endReason})` : `${when(g.expiresAt)} (${relative(g.expiresAt)})`}</td>
            <td>{g.requestId}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AccessAt() {
  const { client } = useApi();
  const [resourceId, setResourceId] = useState('');
  const [at, setAt] = useState(() => new Date(Date.now() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
  const [result, setResult] = useState<{ resourceId: string; at: string; grants: Grant[] }>();
  const action = useAction();
  return (
    <section aria-labelledby="access-at-heading">
      <h2 id="access-at-heading">Who had access to a resource at a time</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const when = new Date(at).toISOString();
            const { data } = await client.audit.GET('/v1/audit/access', { params: { query: { resourceId: resourceId.trim(), at: when } as never } });
            setResult({ resourceId: resourceId.trim(), at: when, grants: data?.grants ?? [] });
            return `${data?.grants.length ?? 0} grant(s) of ${resourceId.trim()} at ${new Date(when).toLocaleString()}`;
          });
        }}
      >
        <label>
          Resource id
          <input value={resourceId} onChange={(e) => setResourceId(e.target.value)} required />
        </label>
        <label>
          At (your local time)
          <input type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} required />
        </label>
        <button type="submit">Who had access</button>
      </form>
      <Message message={action.message} />
      {result && <GrantTable caption={`Access to ${result.resourceId} at ${when(result.at)}`} grants={result.grants} />}
    </section>
  );
}

function ActiveGrants() {
  const { client } = useApi();
  const grants = usePolled(async () => (await client.audit.GET('/v1/audit/grants/active')).data, []);
  return (
    <section aria-labelledby="active-heading">
      <h2 id="active-heading">Active grants</h2>
      <LoadError error={grants.error} />
      <GrantTable caption="Access held now" grants={grants.data?.grants ?? []} />
    </section>
  );
}
