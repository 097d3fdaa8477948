import { kairos } from '../client';
import { EXIT, usage } from '../exit-codes';
import type { CliOptions } from '../main';
import { table, type Output } from '../output';

/** `kairos audit`: a request's timeline, the evidence export, and the integrity check of the streams. */
export async function auditCommand(action: string | undefined, positionals: readonly string[], options: CliOptions, out: Output): Promise<number> {
  const api = kairos().audit;
  switch (action) {
    case 'timeline': {
      const [id] = positionals;
      if (!id) throw usage('give the request id');
      const { data } = await api.GET('/v1/audit/requests/{id}/timeline', { params: { path: { id } } });
      const events = data?.events ?? [];
      out.result(data, () =>
        table(
          events.map((e) => [e.recordedAt, e.revision, e.type, (e.data as { itemId?: string }).itemId, e.status === 'recorded' ? '' : `${e.status}: ${e.problem ?? ''}`]),
          ['AT', 'REV', 'EVENT', 'ITEM', 'PROBLEM'],
        ),
      );
      return EXIT.ok;
    }
    case 'evidence': {
      if (!options.from || !options.to) throw usage('give --from <instant> and --to <instant>');
      const format = options.format === 'csv' ? 'csv' : 'json';
      const { data, response } = await api.GET('/v1/audit/evidence', {
        params: { query: { from: options.from, to: options.to, format } as never },
        parseAs: format === 'csv' ? 'text' : 'json',
      } as never);
      if (format === 'csv') process.stdout.write(String(data ?? (await response.text())));
      else out.result(data, JSON.stringify(data, null, 2));
      return EXIT.ok;
    }
    case 'verify': {
      const { data } = await api.GET('/v1/audit/verify');
      out.result(data, () =>
        data?.ok
          ? `all ${data.streams} streams intact (${data.checkedEvents} events)${data.parkedEvents ? `; WARNING: ${data.parkedEvents} events parked` : ''}`
          : `${data?.failed.length ?? '?'} of ${data?.streams ?? '?'} streams FAILED verification:\n${JSON.stringify(data?.failed ?? [], null, 2)}`,
      );
      return data?.ok ? EXIT.ok : EXIT.refused;
    }
    default:
      throw usage('kairos audit timeline|evidence|verify');
  }
}
