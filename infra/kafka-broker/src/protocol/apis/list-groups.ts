import { allowedOnCluster, allowedOnGroup } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const listGroupsApi: Api = {
  key: 16,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, header) {
    const v = header.apiVersion;
    const w = new Writer();
    if (v >= 1) w.int32(0);
    w.int16(ErrorCode.NONE);
    // DESCRIBE on the cluster lists every group; otherwise only the groups the caller may describe (Kafka 2.4).
    const all = allowedOnCluster(ctx, header, Operation.DESCRIBE);
    const groups = ctx.groups.list().filter((g) => all || allowedOnGroup(ctx, header, Operation.DESCRIBE, g.groupId));
    return w.array(groups, (w, g) => w.string(g.groupId).string(g.protocolType));
  },
};
