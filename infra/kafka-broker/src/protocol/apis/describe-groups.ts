import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

const EMPTY = Buffer.alloc(0);

export const describeGroupsApi: Api = {
  key: 15,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, { apiVersion: v }, r) {
    const ids = r.array((r) => r.string());
    const w = new Writer();
    if (v >= 1) w.int32(0);
    w.array(ids, (w, id) => {
      const group = ctx.groups.describe(id);
      if (!group) {
        w.int16(ErrorCode.NONE).string(id).string('Dead').string('').string('').int32(0);
        return;
      }
      const stable = group.state === 'Stable';
      w.int16(ErrorCode.NONE).string(id).string(group.state).string(group.protocolType ?? '').string(group.protocol ?? '');
      w.array([...group.members.values()], (w, m) => {
        w.string(m.memberId).string(m.clientId).string(m.clientHost);
        w.bytes(stable ? group.memberMetadata(m) : EMPTY).bytes(stable ? m.assignment : EMPTY);
      });
    });
    return w;
  },
};
