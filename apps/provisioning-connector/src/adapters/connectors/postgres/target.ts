import { CONNECTOR_TARGETS, parsePostgresTargetText, type PostgresTarget } from '@kairos/contracts';
import { UnsafeNameError } from '../../../domain/names';

// The syntax of a postgres target (`<role>` or `<role>?mode=role|login|credentials`) is the one
// rule of @kairos/contracts CONNECTOR_TARGETS, which the catalogue applies when a resource is saved.
export { POSTGRES_MODES, type PostgresMode, type PostgresTarget } from '@kairos/contracts';

/** Parses a catalogue target; throws UnsafeNameError for anything but a plain role and a known mode. */
export function parsePostgresTarget(target: string): PostgresTarget {
  const parsed = parsePostgresTargetText(target);
  if (!parsed) throw new UnsafeNameError('target role', target);
  return parsed;
}

export const postgresTargetProblem = CONNECTOR_TARGETS.postgres.problem;
