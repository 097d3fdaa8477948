import { allowedOnCluster } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const initProducerIdApi: Api = {
  key: 22,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, header, r) {
    const transactionalId = r.nullableString();
    r.int32();
    const w = new Writer().int32(0);
    // Transactions are not implemented (their APIs are not advertised): a transactional id is answered as a
    // broker without transactions answers, UNSUPPORTED_VERSION, never as an authorization failure.
    if (transactionalId !== null) return w.int16(ErrorCode.UNSUPPORTED_VERSION).int64(-1).int16(-1);
    // Kafka 2.4: an idempotent producer needs IDEMPOTENT_WRITE on the cluster.
    if (!allowedOnCluster(ctx, header, Operation.IDEMPOTENT_WRITE)) return w.int16(ErrorCode.CLUSTER_AUTHORIZATION_FAILED).int64(-1).int16(-1);
    return w.int16(ErrorCode.NONE).int64(ctx.producerIds.allocate()).int16(0);
  },
};
