/**
 * The one list of connectors: every place that names connectors (event and policy-snapshot schemas,
 * the catalogue's validation, the provisioning connector's plug-ins, its configuration and the
 * launcher) is derived from it. Adding a connector is its folder in
 * apps/provisioning-connector/src/adapters/connectors/<name>/ plus its name here (ADR 0017).
 */
export const CONNECTOR_NAMES = ['postgres', 'webhook', 'manual', 'ldap', 'github'] as const;

export type ConnectorName = (typeof CONNECTOR_NAMES)[number];

export function isConnectorName(value: unknown): value is ConnectorName {
  return typeof value === 'string' && (CONNECTOR_NAMES as readonly string[]).includes(value);
}
