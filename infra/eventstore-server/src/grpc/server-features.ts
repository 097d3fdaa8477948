import type { handleUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Empty } from '@eventstore/db-client/generated/shared_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';

/** The version gates client behaviour: 23.10+ expects `caughtUp`, 21.10+ prefers BatchAppend. */
export const SERVER_VERSION = '24.10.0';

const STREAMS = 'event_store.client.streams.streams';

export function serverFeaturesService(): UntypedServiceImplementation {
  const getSupportedMethods: handleUnaryCall<Empty, SupportedMethods> = (_call, callback) => {
    const method = (name: string, features: string[] = []): SupportedMethod =>
      new SupportedMethod().setServiceName(STREAMS).setMethodName(name).setFeaturesList(features);
    const reply = new SupportedMethods()
      .setEventStoreServerVersion(SERVER_VERSION)
      .setMethodsList([
        method('read', ['position', 'events']),
        method('append'),
        method('delete'),
        method('tombstone'),
        method('batchappend', ['deadline_duration']),
        new SupportedMethod().setServiceName('event_store.client.server_features.serverfeatures').setMethodName('getsupportedmethods'),
      ]);
    callback(null, reply);
  };
  return { getSupportedMethods };
}
