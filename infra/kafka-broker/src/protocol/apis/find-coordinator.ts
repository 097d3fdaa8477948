import { allowedOnGroup } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const findCoordinatorApi: Api = {
  key: 10,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const key = r.string();
    const keyType = v >= 1 ? r.int8() : 0;
    const refuse = (error: number, message: string) => {
      const w = new Writer();
      if (v >= 1) w.int32(0);
      w.int16(error);
      if (v >= 1) w.string(message);
      return w.int32(-1).string('').int32(-1);
    };
    // A transactional id (key type 1) is coordinated here too; its InitProducerId then says transactions are unsupported.
    if (keyType !== 0 && keyType !== 1) return refuse(ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType}`);
    if (keyType === 0 && !allowedOnGroup(ctx, header, Operation.DESCRIBE, key)) return refuse(ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Group authorization failed.');
    const { nodeId, host, port } = ctx.settings;
    const w = new Writer();
    if (v >= 1) w.int32(0);
    w.int16(ErrorCode.NONE);
    if (v >= 1) w.string(null);
    return w.int32(nodeId).string(host).int32(port);
  },
};
