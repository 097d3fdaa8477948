import { targetRoleName, UnsafeNameError } from '../../domain/names';

/**
 * How a postgres resource hands out its role (chosen per resource by the operator, in the
 * catalogue target `<role>` or `<role>?mode=<mode>`):
 * - `role` (default, as before): a login-less role standing for the identity becomes a member.
 * - `login`: the person's own login (from the directory mapping or the naming rule) becomes a member.
 * - `credentials`: a LOGIN role with a generated password, `VALID UNTIL` the access expiry, is
 *   created for this one grant and dropped at its end, sessions terminated.
 */
export const POSTGRES_MODES = ['role', 'login', 'credentials'] as const;
export type PostgresMode = (typeof POSTGRES_MODES)[number];

export interface PostgresTarget {
  readonly role: string;
  readonly mode: PostgresMode;
}

/** Parses a catalogue target; throws UnsafeNameError for anything but a plain role and a known mode. */
export function parsePostgresTarget(target: string): PostgresTarget {
  const [role = '', query, ...rest] = target.split('?');
  let mode: PostgresMode = 'role';
  if (query !== undefined || rest.length > 0) {
    const match = rest.length === 0 ? /^mode=([a-z]+)$/.exec(query ?? '') : null;
    if (!match || !(POSTGRES_MODES as readonly string[]).includes(match[1]!)) throw new UnsafeNameError('target role', target);
    mode = match[1] as PostgresMode;
  }
  return { role: targetRoleName(role), mode };
}

export function postgresTargetProblem(target: string): string | undefined {
  try {
    parsePostgresTarget(target);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
