import type { ConnectorName } from '../domain/job';
import type { Connector } from './connector';

export const CONNECTORS = Symbol('CONNECTORS');

/** The automated connectors by name; `manual` is fulfilled by people through tickets. */
export type ConnectorRegistry = ReadonlyMap<Exclude<ConnectorName, 'manual'>, Connector>;
