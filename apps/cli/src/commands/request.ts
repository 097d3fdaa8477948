import { randomUUID } from 'node:crypto';
import { idempotencyKey } from '@kairos/api-client';
import { kairos } from '../client';
import { CliError, EXIT, usage } from '../exit-codes';
import type { CliOptions } from '../main';
import { table, type Output } from '../output';

type View = {
  requestId: string;
  status: string;
  items: { itemId: string; resourceId: string; role: string; status: string; terminal: boolean; grantId?: string; expiresAt?: string; outcomeReason?: string; currentStep?: { name: string; approvals: number; required: number } }[];
};

const itemsTable = (view: View) =>
  table(
    view.items.map((i) => [i.itemId, i.resourceId, i.role, i.status, i.currentStep ? `${i.currentStep.name} (${i.currentStep.approvals}/${i.currentStep.required})` : '', i.expiresAt ?? '', i.grantId ?? '', i.outcomeReason ?? '']),
    ['ITEM', 'RESOURCE', 'ROLE', 'STATUS', 'WAITING ON', 'EXPIRES', 'GRANT', 'WHY'],
  );

const parseResource = (spec: string) => {
  const at = spec.lastIndexOf(':');
  if (at <= 0 || at === spec.length - 1) throw usage(`--resource takes <resource-id>:<role>, got "${spec}"`);
  return { resourceId: spec.slice(0, at), role: spec.slice(at + 1) };
};

const seconds = (text: string | undefined, fallback: number) => {
  if (text === undefined) return fallback;
  const value = Number(text.replace(/s$/, ''));
  if (!Number.isFinite(value) || value <= 0) throw usage('--timeout takes seconds, e.g. 120');
  return value;
};

const only = (positionals: readonly string[], what: string) => {
  const [id] = positionals;
  if (!id) throw usage(`give the ${what}`);
  return id;
};

/** Active when every item is active; "not granted" as soon as one item ended without access. */
const settled = (view: View) =>
  view.items.every((i) => i.status === 'active') ? 'active' : view.items.some((i) => i.terminal && i.status !== 'active') ? 'ended' : undefined;

export async function requestCommand(action: string | undefined, positionals: readonly string[], options: CliOptions, out: Output): Promise<number> {
  const api = kairos().requests;
  switch (action) {
    case 'create': {
      const resources = (options.resource ?? []).map(parseResource);
      if (resources.length === 0) throw usage('give at least one --resource <id:role>');
      if (!options.reason) throw usage('--reason is required: say why you need the access');
      const body = {
        items: resources,
        justification: options.reason,
        ...(options.duration ? { duration: options.duration } : {}),
        ...(options.ticket ? { ticket: options.ticket } : {}),
        ...(options['break-glass'] ? { breakGlass: true } : {}),
        ...(options.for ? { onBehalfOf: options.for } : {}),
      };
      // One key per intent: a retry of this very command (after a lost reply) finds the same request.
      const key = options['idempotency-key'] ?? randomUUID();
      const { data } = await api.POST('/v1/access-requests', { body, ...idempotencyKey(key) } as never);
      let view = data as unknown as View;
      if (options.wait) view = await waitFor(view, seconds(options.timeout, 120), out);
      out.result(view, () => `request ${view.requestId}: ${view.status}\n${itemsTable(view)}`);
      if (options.wait) {
        const state = settled(view);
        if (state === 'ended') return EXIT.notGranted;
        if (state !== 'active') return EXIT.timedOut;
      }
      return EXIT.ok;
    }
    case 'ls':
    case 'list': {
      const { data } = await api.GET('/v1/access-requests', { params: { query: (options.status ? { status: options.status } : {}) as never } });
      const items = (data?.items ?? []) as unknown as (View & { requestedAt: string; justification: string })[];
      out.result(data, () =>
        items.length === 0
          ? 'no requests'
          : table(
              items.map((r) => [r.requestId, r.status, r.items.map((i) => `${i.resourceId}:${i.role}`).join(','), r.requestedAt, r.justification]),
              ['REQUEST', 'STATUS', 'ITEMS', 'REQUESTED', 'REASON'],
            ),
      );
      return EXIT.ok;
    }
    case 'show': {
      const id = only(positionals, 'request id');
      const { data } = await api.GET('/v1/access-requests/{id}', { params: { path: { id } } });
      const view = data as unknown as View & { history?: { type: string; at: string }[] };
      out.result(data, () => `request ${view.requestId}: ${view.status}\n${itemsTable(view)}`);
      return EXIT.ok;
    }
    case 'cancel': {
      const id = only(positionals, 'request id');
      const body = { ...(options.item ? { itemIds: options.item } : {}), ...(options.reason ? { reason: options.reason } : {}) };
      const { data } = await api.POST('/v1/access-requests/{id}/cancel', { params: { path: { id } }, body } as never);
      const view = data as unknown as View;
      out.result(data, () => `request ${view.requestId}: ${view.status}\n${itemsTable(view)}`);
      return EXIT.ok;
    }
    case 'extend': {
      const id = only(positionals, 'request id');
      const itemId = options.item?.[0];
      if (!itemId) throw usage('give --item <item id>');
      if ((options.by === undefined) === (options.to === undefined)) throw usage('give exactly one of --by <duration> and --to <instant>');
      const body = { itemId, ...(options.by ? { by: options.by } : {}), ...(options.to ? { extendTo: options.to } : {}) };
      const { data } = await api.POST('/v1/access-requests/{id}/extend', { params: { path: { id } }, body } as never);
      const view = data as unknown as View;
      out.result(data, () => `request ${view.requestId}: ${view.status}\n${itemsTable(view)}`);
      return EXIT.ok;
    }
    case 'release': {
      const id = only(positionals, 'request id');
      const itemId = options.item?.[0];
      if (!itemId) throw usage('give --item <item id>');
      const { data } = await api.POST('/v1/access-requests/{id}/release', { params: { path: { id } }, body: { itemId } } as never);
      const view = data as unknown as View;
      out.result(data, () => `request ${view.requestId}: ${view.status}\n${itemsTable(view)}`);
      return EXIT.ok;
    }
    default:
      throw usage('kairos request create|ls|show|cancel|extend|release');
  }
}

/** Polls the request until every item is active or one ended without access, or time runs out. */
async function waitFor(first: View, timeoutSeconds: number, out: Output): Promise<View> {
  const api = kairos().requests;
  const deadline = Date.now() + timeoutSeconds * 1000;
  let view = first;
  let last = '';
  for (;;) {
    const state = settled(view);
    if (state) return view;
    const line = view.items.map((i) => `${i.itemId} ${i.status}`).join(', ');
    if (line !== last) out.progress(`waiting: ${line}`);
    last = line;
    if (Date.now() >= deadline) return view;
    await new Promise((resolve) => setTimeout(resolve, 500));
    try {
      const { data } = await api.GET('/v1/access-requests/{id}', { params: { path: { id: view.requestId } } });
      view = data as unknown as View;
    } catch (error) {
      if (!(error instanceof Error) || Date.now() >= deadline) throw error instanceof Error ? error : new CliError(String(error), EXIT.failed);
    }
  }
}
