import { allowedOnGroup } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const syncGroupApi: Api = {
  key: 14,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, header, r) {
    const v = header.apiVersion;
    const groupId = r.string();
    const generation = r.int32();
    const memberId = r.string();
    if (v >= 3) r.nullableString();
    const assignments = r.array((r) => ({ memberId: r.string(), assignment: Buffer.from(r.bytes()) }));
    const res = allowedOnGroup(ctx, header, Operation.READ, groupId)
      ? await ctx.groups.sync(groupId, memberId, generation, assignments)
      : { error: ErrorCode.GROUP_AUTHORIZATION_FAILED, assignment: Buffer.alloc(0) };
    const w = new Writer();
    if (v >= 1) w.int32(0);
    return w.int16(res.error).bytes(res.assignment);
  },
};
