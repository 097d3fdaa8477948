/**
 * Typed configuration read from environment variables. Every service declares its variables once;
 * `loadConfig` refuses to return anything unless all of them are valid, and names each bad or
 * missing variable, so a misconfigured deployment fails at boot instead of at the first request.
 */
export type VarSpec =
  | {
      readonly type: 'string';
      readonly default?: string;
      readonly description: string;
      readonly secret?: boolean;
      /** Further checks of the value (default included) against the whole environment; returns the problem, never echoing a secret. */
      readonly check?: (value: string, env: NodeJS.ProcessEnv) => string | undefined;
    }
  | { readonly type: 'int'; readonly default?: number; readonly min?: number; readonly max?: number; readonly description: string }
  | { readonly type: 'url'; readonly default?: string; readonly protocols?: readonly string[]; readonly description: string; readonly secret?: boolean }
  | { readonly type: 'bool'; readonly default?: boolean; readonly description: string }
  | { readonly type: 'list'; readonly default?: readonly string[]; readonly description: string }
  | { readonly type: 'enum'; readonly values: readonly string[]; readonly default?: string; readonly description: string };

export type ConfigSpec = Readonly<Record<string, VarSpec>>;

type ValueOf<S extends VarSpec> = S extends { type: 'int' }
  ? number
  : S extends { type: 'bool' }
    ? boolean
    : S extends { type: 'list' }
      ? readonly string[]
      : S extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : string;

export type Config<S extends ConfigSpec> = { readonly [K in keyof S]: ValueOf<S[K]> };

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<S extends ConfigSpec>(spec: S, env: NodeJS.ProcessEnv = process.env): Config<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, varSpec] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (varSpec.default === undefined) {
        problems.push(`${name} is missing (${varSpec.description})`);
      } else {
        out[name] = varSpec.default;
      }
      continue;
    }
    const parsed = parse(name, varSpec, raw);
    if (parsed.ok) out[name] = parsed.value;
    else problems.push(parsed.problem);
  }
  for (const [name, varSpec] of Object.entries(spec)) {
    if (varSpec.type !== 'string' || !varSpec.check || typeof out[name] !== 'string') continue;
    const problem = varSpec.check(out[name], env);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as Config<S>;
}

function parse(name: string, spec: VarSpec, raw: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  switch (spec.type) {
    case 'string':
      return { ok: true, value: raw };
    case 'int': {
      const value = Number(raw);
      if (!Number.isInteger(value)) return { ok: false, problem: `${name} must be an integer, got "${raw}"` };
      if (spec.min !== undefined && value < spec.min) return { ok: false, problem: `${name} must be >= ${spec.min}, got ${value}` };
      if (spec.max !== undefined && value > spec.max) return { ok: false, problem: `${name} must be <= ${spec.max}, got ${value}` };
      return { ok: true, value };
    }
    case 'url': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return { ok: false, problem: `${name} must be a URL, got "${spec.secret ? '<redacted>' : raw}"` };
      }
      if (spec.protocols && !spec.protocols.includes(url.protocol.replace(/:$/, ''))) {
        return { ok: false, problem: `${name} must use one of ${spec.protocols.join(', ')}, got ${url.protocol}` };
      }
      return { ok: true, value: raw };
    }
    case 'bool':
      if (['true', '1', 'yes'].includes(raw.toLowerCase())) return { ok: true, value: true };
      if (['false', '0', 'no'].includes(raw.toLowerCase())) return { ok: true, value: false };
      return { ok: false, problem: `${name} must be true or false, got "${raw}"` };
    case 'list':
      return { ok: true, value: raw.split(',').map((s) => s.trim()).filter(Boolean) };
    case 'enum':
      if (!spec.values.includes(raw)) return { ok: false, problem: `${name} must be one of ${spec.values.join(', ')}, got "${raw}"` };
      return { ok: true, value: raw };
    default: {
      const exhaustive: never = spec;
      return exhaustive;
    }
  }
}

/** Rows for the README's configuration table and for docker-compose checks. */
export function describeConfig(spec: ConfigSpec): { name: string; required: boolean; default?: string; description: string }[] {
  return Object.entries(spec).map(([name, v]) => ({
    name,
    required: v.default === undefined,
    default: v.default === undefined ? undefined : String(v.default),
    description: v.description,
  }));
}
