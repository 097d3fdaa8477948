import { useId, useState } from 'react';
import type { ApprovalPolicySchemas } from '@kairos/api-client';
import { CONNECTOR_TARGETS, connectorTargetProblem } from '@kairos/connector-targets';
import { durationText, LoadError, Message, relative, useAction, useApi, usePolled, when } from '../api';
import { RequesterScreen } from './Requester';

type Resource = ApprovalPolicySchemas['schemas']['ResourceDto'];
type Connector = Resource['connector'];

export const ADMIN_SECTIONS = [
  { id: 'resources', title: 'Resources' },
  { id: 'tiers', title: 'Tiers' },
  { id: 'directory', title: 'Directory' },
  { id: 'connectors', title: 'Connectors' },
  { id: 'on-behalf', title: 'Request on behalf' },
  { id: 'revoke', title: 'Revoke' },
] as const;

/** The administrator's area, one section at a time (#/admin/<section>). */
export function AdminScreen(props: { section: string }) {
  const section = ADMIN_SECTIONS.find((s) => s.id === props.section) ?? ADMIN_SECTIONS[0];
  return (
    <>
      <nav aria-label="Administration" className="subnav">
        <ul>
          {ADMIN_SECTIONS.map((s) => (
            <li key={s.id}>
              <a href={`#/admin/${s.id}`} aria-current={s.id === section.id ? 'page' : undefined}>
                {s.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <h2>{section.title}</h2>
      {section.id === 'resources' && <Resources />}
      {section.id === 'tiers' && <Tiers />}
      {section.id === 'directory' && <Directory />}
      {section.id === 'connectors' && <Connectors />}
      {section.id === 'on-behalf' && <RequesterScreen onBehalf />}
      {section.id === 'revoke' && <Revoke />}
    </>
  );
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function parseJson(label: string, text: string): Record<string, unknown> | undefined {
  if (!text.trim()) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new Error(`${label} must be a JSON object`);
}

function Resources() {
  const { client } = useApi();
  const resources = usePolled(async () => (await client.policy.GET('/v1/resources')).data, [], 10_000);
  const [editing, setEditing] = useState<Resource | 'new'>();
  return (
    <>
      <LoadError error={resources.error} />
      <button type="button" onClick={() => setEditing('new')}>
        New resource
      </button>
      <table>
        <caption>Resources (policy version {resources.data?.policyVersion ?? '…'})</caption>
        <thead>
          <tr>
            <th scope="col">Resource</th>
            <th scope="col">Tier</th>
            <th scope="col">Connector and target</th>
            <th scope="col">Roles</th>
            <th scope="col">Owners</th>
            <th scope="col">Who may request</th>
            <th scope="col">Overrides</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(resources.data?.items ?? []).map((r) => (
            <tr key={r.id}>
              <th scope="row">
                {r.name}
                <div className="muted">{r.id}</div>
              </th>
              <td>
                {r.tier}
                {r.breakGlassAllowed ? ' (break-glass)' : ''}
              </td>
              <td>
                {r.connector}: {r.target}
              </td>
              <td>{r.allowedRoles.join(', ')}</td>
              <td>{r.owners.join(', ')}</td>
              <td>{r.requestableBy?.length ? r.requestableBy.join(', ') : 'everyone'}</td>
              <td>{Object.keys(r.groupOverrides ?? {}).join(', ') || '—'}</td>
              <td>
                <button type="button" onClick={() => setEditing(r)}>
                  Edit<span className="sr-only"> {r.name}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing && (
        <ResourceForm
          key={editing === 'new' ? 'new' : editing.id}
          resource={editing === 'new' ? undefined : editing}
          onDone={() => {
            setEditing(undefined);
            resources.reload();
          }}
        />
      )}
    </>
  );
}

function ResourceForm(props: { resource?: Resource; onDone: () => void }) {
  const { client } = useApi();
  const r = props.resource;
  const action = useAction();
  const [id, setId] = useState(r?.id ?? '');
  const [name, setName] = useState(r?.name ?? '');
  const [connector, setConnector] = useState<Connector>(r?.connector ?? 'manual');
  const [target, setTarget] = useState(r?.target ?? '');
  const targetId = useId();
  const targetProblem = target ? connectorTargetProblem(connector, target) : undefined;
  const [owners, setOwners] = useState(r?.owners.join(', ') ?? '');
  const [roles, setRoles] = useState(r?.allowedRoles.join(', ') ?? '');
  const [tier, setTier] = useState(String(r?.tier ?? 1));
  const [breakGlass, setBreakGlass] = useState(r?.breakGlassAllowed ?? false);
  const [requestableBy, setRequestableBy] = useState(r?.requestableBy?.join(', ') ?? '');
  const [settings, setSettings] = useState(r?.settings ? JSON.stringify(r.settings, null, 2) : '');
  const [overrides, setOverrides] = useState(r?.groupOverrides && Object.keys(r.groupOverrides).length ? JSON.stringify(r.groupOverrides, null, 2) : '');
  const save = (e: React.FormEvent) => {
    e.preventDefault();
    void action
      .run(async () => {
        const body = {
          name,
          connector,
          target,
          owners: list(owners),
          allowedRoles: list(roles),
          tier: Number(tier),
          breakGlassAllowed: breakGlass,
          requestableBy: list(requestableBy),
          ...(parseJson('Settings', settings) ? { settings: parseJson('Settings', settings) } : {}),
          ...(parseJson('Group overrides', overrides) ? { groupOverrides: parseJson('Group overrides', overrides) } : {}),
        };
        if (r) await client.policy.PUT('/v1/resources/{id}', { params: { path: { id: r.id } }, body: body as never });
        else await client.policy.POST('/v1/resources', { body: { ...body, id } as never });
        return `Resource ${r?.id ?? id} saved`;
      })
      .then((ok) => ok && props.onDone());
  };
  return (
    <form onSubmit={save} aria-labelledby="resource-form-heading" className="card">
      <h3 id="resource-form-heading">{r ? `Edit ${r.name}` : 'New resource'}</h3>
      <div className="grid">
        <label>
          Id
          <input value={id} onChange={(e) => setId(e.target.value)} required disabled={!!r} />
        </label>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Connector
          <select value={connector} onChange={(e) => setConnector(e.target.value as Connector)}>
            {(Object.keys(CONNECTOR_TARGETS) as Connector[]).map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label htmlFor={targetId}>
          Target
          <input id={targetId} value={target} onChange={(e) => setTarget(e.target.value)} required aria-invalid={!!targetProblem} aria-describedby={`${targetId}-hint`} />
          {/* The service checks the same rule when the resource is saved, and refuses a bad target. */}
          <span id={`${targetId}-hint`} className={targetProblem ? 'error' : 'muted'}>
            {targetProblem ?? CONNECTOR_TARGETS[connector].syntax.replace(/`/g, '')}
          </span>
        </label>
        <label>
          Owners (identity ids, comma separated)
          <input value={owners} onChange={(e) => setOwners(e.target.value)} required />
        </label>
        <label>
          Roles (comma separated)
          <input value={roles} onChange={(e) => setRoles(e.target.value)} required />
        </label>
        <label>
          Tier
          <select value={tier} onChange={(e) => setTier(e.target.value)}>
            {[0, 1, 2, 3, 4].map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Who may request (group ids, comma separated; empty: everyone)
          <input value={requestableBy} onChange={(e) => setRequestableBy(e.target.value)} />
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={breakGlass} onChange={(e) => setBreakGlass(e.target.checked)} />
        Break-glass allowed
      </label>
      <label className="block">
        Settings overriding the tier (JSON, optional)
        <textarea value={settings} onChange={(e) => setSettings(e.target.value)} rows={4} />
      </label>
      <label className="block">
        Per-group overrides (JSON: group id to settings, optional)
        <textarea value={overrides} onChange={(e) => setOverrides(e.target.value)} rows={4} />
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={action.busy}>
          Save resource
        </button>
        <button type="button" onClick={props.onDone}>
          Close
        </button>
      </div>
      <Message message={action.message} />
    </form>
  );
}

function Tiers() {
  const { client } = useApi();
  const tiers = usePolled(async () => (await client.policy.GET('/v1/tiers')).data, [], 0);
  return (
    <>
      <LoadError error={tiers.error} />
      {(tiers.data?.items ?? []).map((t) => (
        <TierForm key={t.tier} tier={t.tier} settings={t.settings} onSaved={tiers.reload} />
      ))}
    </>
  );
}

function TierForm(props: { tier: number; settings: ApprovalPolicySchemas['schemas']['TierSettingsDto']; onSaved: () => void }) {
  const { client } = useApi();
  const action = useAction();
  const [text, setText] = useState(JSON.stringify(props.settings, null, 2));
  const s = props.settings;
  return (
    <form
      className="card"
      aria-labelledby={`tier-${props.tier}`}
      onSubmit={(e) => {
        e.preventDefault();
        void action
          .run(async () => {
            const body = parseJson(`Tier ${props.tier} settings`, text);
            await client.policy.PUT('/v1/tiers/{tier}', { params: { path: { tier: props.tier as never } }, body: body as never });
            return `Tier ${props.tier} saved`;
          })
          .then((ok) => ok && props.onSaved());
      }}
    >
      <h3 id={`tier-${props.tier}`}>Tier {props.tier}</h3>
      <p>
        Approval: {s.approval.mode}
        {s.approval.steps ? ` (${s.approval.steps.map((x) => x.mode).join(', then ')})` : ''}; default {durationText(s.defaultDuration)}, maximum {durationText(s.maxDuration)}; break-glass{' '}
        {s.breakGlass.allowed ? `allowed, ratify within ${durationText(s.breakGlass.ratifyWithin)}` : 'not allowed'}; justification {s.justificationRequired ? 'required' : 'optional'}.
      </p>
      <details>
        <summary>Edit tier {props.tier} settings</summary>
        <label className="block">
          Settings of tier {props.tier} (JSON)
          <textarea value={text} onChange={(e) => setText(e.target.value)} rows={12} />
        </label>
        <button type="submit" disabled={action.busy}>
          Save tier {props.tier}
        </button>
      </details>
      <Message message={action.message} />
    </form>
  );
}

function Directory() {
  const { client } = useApi();
  const identities = usePolled(async () => (await client.policy.GET('/v1/identities')).data, [], 10_000);
  const groups = usePolled(async () => (await client.policy.GET('/v1/groups')).data, [], 10_000);
  const action = useAction();
  const [csv, setCsv] = useState('');
  const people = identities.data?.items ?? [];
  return (
    <>
      <LoadError error={identities.error ?? groups.error} />
      {(['person', 'service'] as const).map((kind) => (
        <table key={kind}>
          <caption>{kind === 'person' ? 'People' : 'Service accounts'}</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Name</th>
              <th scope="col">{kind === 'person' ? 'Manager' : 'Owner'}</th>
              <th scope="col">Groups</th>
              <th scope="col">Active</th>
            </tr>
          </thead>
          <tbody>
            {people
              .filter((p) => p.kind === kind)
              .map((p) => (
                <tr key={p.id}>
                  <th scope="row">{p.id}</th>
                  <td>
                    {p.displayName}
                    {p.email ? ` <${p.email}>` : ''}
                  </td>
                  <td>{(kind === 'person' ? p.managerId : p.owner) ?? '—'}</td>
                  <td>{p.groups.join(', ')}</td>
                  <td>{p.active ? 'yes' : 'no'}</td>
                </tr>
              ))}
          </tbody>
        </table>
      ))}
      <table>
        <caption>Groups</caption>
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col">Members</th>
          </tr>
        </thead>
        <tbody>
          {(groups.data?.items ?? []).map((g) => (
            <tr key={g.id}>
              <th scope="row">
                {g.name} ({g.id})
              </th>
              <td>{g.members.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="card"
        aria-labelledby="import-heading"
        onSubmit={(e) => {
          e.preventDefault();
          void action
            .run(async () => {
              const { data } = await client.policy.POST('/v1/directory/import', { body: csv as never, bodySerializer: (b: unknown) => b as string, headers: { 'content-type': 'text/csv' } } as never);
              const result = data as { identities: number; groups: number; deactivated: number } | undefined;
              return `Imported ${result?.identities} identities and ${result?.groups} groups; ${result?.deactivated} deactivated`;
            })
            .then(() => {
              identities.reload();
              groups.reload();
            });
        }}
      >
        <h3 id="import-heading">Import the directory</h3>
        <p>
          Replaces the whole directory (all or nothing): CSV with the header <code>id,kind,displayName,email,managerId,groups[,owner,active]</code>, groups separated by <code>;</code>.
          Everyone not in the file is deactivated.
        </p>
        <label className="block">
          Directory CSV
          <textarea value={csv} onChange={(e) => setCsv(e.target.value)} rows={6} required />
        </label>
        <button type="submit" disabled={action.busy}>
          Import
        </button>
        <Message message={action.message} />
      </form>
    </>
  );
}

function Connectors() {
  const { client } = useApi();
  const health = usePolled(async () => (await client.provisioning.GET('/v1/connectors')).data?.connectors ?? [], []);
  const action = useAction();
  return (
    <>
      <LoadError error={health.error} />
      <button type="button" disabled={action.busy} onClick={() => void action.run(async () => (await client.provisioning.POST('/v1/connectors/probe'), 'Connectors probed')).then(health.reload)}>
        Probe now
      </button>
      <Message message={action.message} />
      <table>
        <caption>Connector health</caption>
        <thead>
          <tr>
            <th scope="col">Connector</th>
            <th scope="col">Configured</th>
            <th scope="col">Automated</th>
            <th scope="col">Healthy</th>
            <th scope="col">Last checked</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {(health.data ?? []).map((c) => (
            <tr key={c.name}>
              <th scope="row">{c.name}</th>
              <td>{c.configured ? 'yes' : 'no'}</td>
              <td>{c.automated ? 'yes' : 'no (tickets)'}</td>
              <td>{c.healthy ? 'healthy' : `unhealthy${c.reason ? `: ${c.reason}` : ''}`}</td>
              <td>{when(c.checkedAt)}</td>
              <td>{c.lastError ? `${c.lastError} (${when(c.lastErrorAt)})` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Revoke() {
  const { client } = useApi();
  const active = usePolled(async () => (await client.requests.GET('/v1/access-requests', { params: { query: { status: 'active', limit: 100 } as never } })).data, []);
  const action = useAction();
  const [reason, setReason] = useState('');
  const rows = (active.data?.items ?? []).flatMap((r) => r.items.filter((i) => i.status === 'active').map((i) => ({ r, i })));
  return (
    <>
      <LoadError error={active.error} />
      <label className="block">
        Reason for revoking (recorded in the evidence)
        <input value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <Message message={action.message} />
      <table>
        <caption>Active access</caption>
        <thead>
          <tr>
            <th scope="col">Who</th>
            <th scope="col">Resource and role</th>
            <th scope="col">Ends</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ r, i }) => (
            <tr key={i.itemId}>
              <th scope="row">{(r.requester as unknown as { id: string }).id}</th>
              <td>
                {i.resourceId} — {i.role}
              </td>
              <td>
                {when(i.expiresAt)} ({relative(i.expiresAt)})
              </td>
              <td>
                <button
                  type="button"
                  disabled={action.busy}
                  onClick={() =>
                    void action
                      .run(async () => (await client.requests.POST('/v1/access-requests/{id}/revoke', { params: { path: { id: r.requestId } }, body: { itemId: i.itemId, ...(reason.trim() ? { reason: reason.trim() } : {}) } }), `Revoked ${i.resourceId} ${i.role}`))
                      .then(active.reload)
                  }
                >
                  Revoke<span className="sr-only"> {i.resourceId} {i.role} of {(r.requester as unknown as { id: string }).id}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
