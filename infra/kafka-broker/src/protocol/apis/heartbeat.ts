import { allowedOnGroup } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const heartbeatApi: Api = {
  key: 12,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const groupId = r.string();
    const generation = r.int32();
    const memberId = r.string();
    if (v >= 3) r.nullableString();
    const error = allowedOnGroup(ctx, header, Operation.READ, groupId) ? ctx.groups.heartbeat(groupId, memberId, generation) : ErrorCode.GROUP_AUTHORIZATION_FAILED;
    const w = new Writer();
    if (v >= 1) w.int32(0);
    return w.int16(error);
  },
};
