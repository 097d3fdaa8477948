import { allowedOnTopic } from '../../server/context';
import { Operation } from '../../security/acl';
import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export const deleteTopicsApi: Api = {
  key: 20,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const names = r.array((r) => r.string());
    r.int32();
    const w = new Writer();
    if (v >= 1) w.int32(0);
    w.array(names, (w, name) => {
      if (!allowedOnTopic(ctx, header, Operation.DELETE, name)) return void w.string(name).int16(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const deleted = ctx.topics.delete(name);
      w.string(name).int16(deleted ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    });
    return w;
  },
};
