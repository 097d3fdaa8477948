import { Writer } from '../encoding';
import { Api } from './api';

export const syncGroupApi: Api = {
  key: 14,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, { apiVersion: v }, r) {
    const groupId = r.string();
    const generation = r.int32();
    const memberId = r.string();
    if (v >= 3) r.nullableString();
    const assignments = r.array((r) => ({ memberId: r.string(), assignment: Buffer.from(r.bytes()) }));
    const res = await ctx.groups.sync(groupId, memberId, generation, assignments);
    const w = new Writer();
    if (v >= 1) w.int32(0);
    return w.int16(res.error).bytes(res.assignment);
  },
};
