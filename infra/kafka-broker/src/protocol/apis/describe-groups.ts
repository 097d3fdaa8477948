import { allowedOnGroup } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

const EMPTY = Buffer.alloc(0);

export const describeGroupsApi: Api = {
  key: 15,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const ids = r.array((r) => r.string());
    const w = new Writer();
    if (v >= 1) w.int32(0);
    w.array(ids, (w, id) => {
      if (!allowedOnGroup(ctx, header, Operation.DESCRIBE, id)) {
        w.int16(ErrorCode.GROUP_AUTHORIZATION_FAILED).string(id).string('').string('').string('').int32(0);
        return;
      }
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
