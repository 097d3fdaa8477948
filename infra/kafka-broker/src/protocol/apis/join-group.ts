import { allowedOnGroup } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const joinGroupApi: Api = {
  key: 11,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, header, r) {
    const { apiVersion: v, clientId, clientHost } = header;
    const groupId = r.string();
    const sessionTimeoutMs = r.int32();
    const rebalanceTimeoutMs = v >= 1 ? r.int32() : sessionTimeoutMs;
    const memberId = r.string();
    const groupInstanceId = v >= 5 ? r.nullableString() : null;
    const protocolType = r.string();
    const protocols = r.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) }));
    const res = !allowedOnGroup(ctx, header, Operation.READ, groupId)
      ? { error: ErrorCode.GROUP_AUTHORIZATION_FAILED, generation: -1, protocolName: '', leader: '', memberId, members: [] }
      : await ctx.groups.join(
      groupId,
      { memberId, groupInstanceId, clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs, protocolType, protocols },
      v,
    );
    const w = new Writer();
    if (v >= 2) w.int32(0);
    w.int16(res.error).int32(res.generation).string(res.protocolName).string(res.leader).string(res.memberId);
    w.array(res.members, (w, m) => {
      w.string(m.memberId);
      if (v >= 5) w.string(m.groupInstanceId);
      w.bytes(m.metadata);
    });
    return w;
  },
};
