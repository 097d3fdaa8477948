import { kairos } from '../client';
import { EXIT, usage } from '../exit-codes';
import type { CliOptions } from '../main';
import { table, type Output } from '../output';

/** `kairos tickets`: the manual fulfilment queue the caller may work, and completing or failing one. */
export async function ticketsCommand(action: string | undefined, positionals: readonly string[], options: CliOptions, out: Output): Promise<number> {
  const api = kairos().provisioning;
  if (action === 'ls' || action === 'list') {
    const { data } = await api.GET('/v1/tickets', { params: { query: (options.status ? { status: options.status } : {}) as never } });
    const tickets = data?.tickets ?? [];
    out.result(data, () =>
      tickets.length === 0
        ? 'no tickets'
        : table(
            tickets.map((t) => [t.id, t.action, `${t.resourceId ?? '?'}:${(t as { role?: string | null }).role ?? '?'}`, (t as { subject?: { id?: string } }).subject?.id ?? t.requesterId, t.duration ?? t.expiresAt, t.justification]),
            ['TICKET', 'ACTION', 'ACCESS', 'FOR', 'DURATION/EXPIRY', 'REASON'],
          ),
    );
    return EXIT.ok;
  }
  if (action !== 'complete' && action !== 'fail') throw usage('kairos tickets ls|complete|fail <ticket> --comment <text>');
  const [id] = positionals;
  if (!id) throw usage('give the ticket id');
  if (!options.comment) throw usage('--comment is required: it goes into the audit evidence');
  const path = action === 'complete' ? '/v1/tickets/{id}/complete' : '/v1/tickets/{id}/fail';
  const { data } = await api.POST(path, { params: { path: { id } }, body: { comment: options.comment } } as never);
  out.result(data, `${action === 'complete' ? 'completed' : 'failed'} ticket ${id}`);
  return EXIT.ok;
}
