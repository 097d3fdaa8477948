import { kairos } from '../client';
import { EXIT, usage } from '../exit-codes';
import type { CliOptions } from '../main';
import { table, type Output } from '../output';

/** `kairos resources search`: what the caller may request, and what it takes. */
export async function resourcesCommand(action: string | undefined, options: CliOptions, out: Output): Promise<number> {
  if (action !== 'search' && action !== 'ls') throw usage('kairos resources search [--query <text>] [--tier <0-4>]');
  const query: Record<string, string | number> = {};
  if (options.query) query.query = options.query;
  if (options.tier !== undefined) query.tier = Number(options.tier);
  const { data } = await kairos().policy.GET('/v1/catalogue', { params: { query: query as never } });
  const items = data?.items ?? [];
  out.result(data, () =>
    items.length === 0
      ? 'nothing matches'
      : table(
          items.map((r) => [
            r.id,
            r.name,
            r.tier,
            r.roles.join(','),
            r.durations.maximum,
            r.approval?.required ? r.approval.steps.map((s) => s.name).join(' → ') : 'automatic',
            r.myAccess.length > 0 ? r.myAccess.map((a) => `${a.role}:${a.status}`).join(',') : '',
            r.problems.map((p) => p.message).join('; '),
          ]),
          ['ID', 'NAME', 'TIER', 'ROLES', 'MAX', 'APPROVAL', 'MY ACCESS', 'CANNOT REQUEST'],
        ),
  );
  return EXIT.ok;
}
