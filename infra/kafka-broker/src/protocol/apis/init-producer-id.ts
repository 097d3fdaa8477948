import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const initProducerIdApi: Api = {
  key: 22,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, _header, r) {
    const transactionalId = r.nullableString();
    r.int32();
    const w = new Writer().int32(0);
    // Transactions are not offered; refusing with a non-retriable code stops clients from looping.
    if (transactionalId !== null) return w.int16(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED).int64(-1).int16(-1);
    return w.int16(ErrorCode.NONE).int64(ctx.producerIds.allocate()).int16(0);
  },
};
