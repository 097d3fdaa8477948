// The connectors, one line each: a connector is its folder plus its line here (and its name in
// CONNECTOR_NAMES, @kairos/contracts). registry.ts refuses to compile if a listed name has no line.
export { plugin as postgres } from './postgres';
export { plugin as webhook } from './webhook';
export { plugin as manual } from './manual';
export { plugin as ldap } from './ldap';
export { plugin as github } from './github';
