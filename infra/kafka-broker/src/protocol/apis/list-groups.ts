import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const listGroupsApi: Api = {
  key: 16,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, { apiVersion: v }) {
    const w = new Writer();
    if (v >= 1) w.int32(0);
    w.int16(ErrorCode.NONE);
    return w.array(ctx.groups.list(), (w, g) => w.string(g.groupId).string(g.protocolType));
  },
};
