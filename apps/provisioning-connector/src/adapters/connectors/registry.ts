import { CONNECTOR_NAMES, type ConnectorName } from '@kairos/contracts';
import type { Config, ConfigSpec } from '@kairos/config';
import type { Connector, ConnectorPlugin, LauncherUrls, PluginContext } from '../../domain/connector';
import * as listed from './index';

export const CONNECTORS = Symbol('CONNECTORS');

/** Every listed plug-in, by name: the compiler refuses a name of CONNECTOR_NAMES without one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const byName: { readonly [K in ConnectorName]: ConnectorPlugin<any> } = listed;

/** The plug-ins in the order of the one list (@kairos/contracts CONNECTOR_NAMES). */
export const CONNECTOR_PLUGINS: readonly ConnectorPlugin[] = CONNECTOR_NAMES.map((name) => {
  const plugin = byName[name];
  if (plugin.name !== name) throw new Error(`adapters/connectors/index.ts lists ${plugin.name} as ${name}`);
  return plugin;
});

export function pluginOf(name: ConnectorName): ConnectorPlugin {
  return byName[name];
}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every connector's settings, merged: part of the service's configuration (and so of the generated table). */
export type ConnectorSettings = UnionToIntersection<(typeof listed)[keyof typeof listed]['settings']>;

export const connectorSettings = Object.assign({}, ...CONNECTOR_PLUGINS.map((p) => p.settings)) as ConnectorSettings & ConfigSpec;

/** The automated connectors by name; connectors fulfilled by people (manual) have none. */
export type ConnectorRegistry = ReadonlyMap<ConnectorName, Connector>;

export function createConnectors(config: Config<ConfigSpec>, context: PluginContext): ConnectorRegistry {
  const registry = new Map<ConnectorName, Connector>();
  for (const plugin of CONNECTOR_PLUGINS) {
    const connector = plugin.create?.(config, context);
    if (connector) registry.set(plugin.name, connector);
  }
  return registry;
}

/** Problems across every connector's settings (run at boot with the rest of the configuration). */
export function connectorSettingsProblems(config: Config<ConfigSpec>): string[] {
  return CONNECTOR_PLUGINS.flatMap((p) => p.checkSettings?.(config) ?? []);
}

/** What the launcher (`npm start`) sets for the connectors: each plug-in's own demo settings. */
export function connectorLauncherEnv(urls: LauncherUrls): Record<string, string> {
  return Object.assign({}, ...CONNECTOR_PLUGINS.map((p) => p.launcherEnv?.(urls) ?? {}));
}
