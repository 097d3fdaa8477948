import { allowedOnGroup } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const leaveGroupApi: Api = {
  key: 13,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const groupId = r.string();
    const w = new Writer();
    if (v >= 1) w.int32(0);
    if (!allowedOnGroup(ctx, header, Operation.READ, groupId)) {
      if (v < 3) return w.int16(ErrorCode.GROUP_AUTHORIZATION_FAILED);
      return w.int16(ErrorCode.GROUP_AUTHORIZATION_FAILED).array([], () => undefined);
    }
    if (v < 3) return w.int16(ctx.groups.leave(groupId, r.string()));
    const members = r.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() }));
    const results = members.map((m) => ({ ...m, error: ctx.groups.leave(groupId, m.memberId) }));
    w.int16(ErrorCode.NONE);
    w.array(results, (w, m) => w.string(m.memberId).string(m.groupInstanceId).int16(m.error));
    return w;
  },
};
