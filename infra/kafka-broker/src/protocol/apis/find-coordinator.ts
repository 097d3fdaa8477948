import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const findCoordinatorApi: Api = {
  key: 10,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, { apiVersion: v }, r) {
    r.string();
    if (v >= 1) r.int8();
    const { nodeId, host, port } = ctx.settings;
    const w = new Writer();
    if (v >= 1) w.int32(0);
    w.int16(ErrorCode.NONE);
    if (v >= 1) w.string(null);
    return w.int32(nodeId).string(host).int32(port);
  },
};
