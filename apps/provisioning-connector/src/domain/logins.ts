/**
 * An identity's own account name in a target (a database login, a GitHub handle): the directory's
 * mapping for that target first, then the naming rule. One rule for every connector that grants to
 * a person's own account.
 */
export interface LoginDirectory {
  /** `identity=login` pairs, as configured for one target system. */
  readonly map: readonly string[];
  /** `{id}` is the identity id, `{local}` its part before `@`; empty = only mapped identities have a login. */
  readonly rule: string;
}

export class NoLoginError extends Error {
  constructor(identityId: string, system: string) {
    super(`identity ${JSON.stringify(identityId.slice(0, 80))} has no ${system} login: not in the directory mapping and no naming rule`);
    this.name = 'NoLoginError';
  }
}

/** Checks a `identity=login` list; returns the problem (never echoing values). */
export function loginMapProblem(map: readonly string[]): string | undefined {
  const bad = map.findIndex((pair) => !/^[^=\s]+=[^=\s]+$/.test(pair));
  return bad >= 0 ? `entry ${bad + 1} is not identity=login` : undefined;
}

export function loginOf(identityId: string, directory: LoginDirectory, system: string): string {
  for (const pair of directory.map) {
    const at = pair.indexOf('=');
    if (pair.slice(0, at) === identityId) return pair.slice(at + 1);
  }
  if (!directory.rule) throw new NoLoginError(identityId, system);
  const local = identityId.includes('@') ? identityId.slice(0, identityId.indexOf('@')) : identityId;
  return directory.rule.replaceAll('{id}', identityId).replaceAll('{local}', local);
}
