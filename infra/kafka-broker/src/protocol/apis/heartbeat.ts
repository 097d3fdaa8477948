import { Writer } from '../encoding';
import { Api } from './api';

export const heartbeatApi: Api = {
  key: 12,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, { apiVersion: v }, r) {
    const groupId = r.string();
    const generation = r.int32();
    const memberId = r.string();
    if (v >= 3) r.nullableString();
    const error = ctx.groups.heartbeat(groupId, memberId, generation);
    const w = new Writer();
    if (v >= 1) w.int32(0);
    return w.int16(error);
  },
};
