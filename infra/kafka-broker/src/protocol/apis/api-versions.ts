import { Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

export function apiVersionsBody(apis: readonly Api[], version: number, error: number): Writer {
  const w = new Writer().int16(error);
  w.array(apis, (w, a) => w.int16(a.key).int16(a.minVersion).int16(a.maxVersion));
  if (version >= 1) w.int32(0);
  return w;
}

export function apiVersionsApi(all: () => readonly Api[]): Api {
  return {
    key: 18,
    minVersion: 0,
    maxVersion: 2,
    handle: (_ctx, header) => apiVersionsBody(all(), header.apiVersion, ErrorCode.NONE),
  };
}
