export { startKafkaBroker } from './server/broker';
export type { BrokerOptions, RunningBroker } from './server/broker';
