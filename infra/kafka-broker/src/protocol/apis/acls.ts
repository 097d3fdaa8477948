import { allowedOnCluster } from '../../server/context';
import { AclBinding, AclFilter, Operation, PatternType, invalidBinding, invalidFilter } from '../../security/acl';
import { Reader, Writer } from '../encoding';
import { ErrorCode } from '../errors';
import { Api } from './api';

function readFilter(r: Reader, v: number): AclFilter {
  const resourceType = r.int8();
  const resourceName = r.nullableString();
  const patternType = v >= 1 ? r.int8() : PatternType.LITERAL;
  return { resourceType, resourceName, patternType, principal: r.nullableString(), host: r.nullableString(), operation: r.int8(), permission: r.int8() };
}

function writeBindingResource(w: Writer, v: number, b: AclBinding): void {
  w.int8(b.resourceType).string(b.resourceName);
  if (v >= 1) w.int8(b.patternType);
}

const SECURITY_DISABLED_MESSAGE = 'No Authorizer is configured on the broker';

/** DescribeAcls v0–1 (needs DESCRIBE on the cluster). */
export const describeAclsApi: Api = {
  key: 29,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const filter = readFilter(r, v);
    const w = new Writer().int32(0);
    const fail = (error: number, message: string) => w.int16(error).string(message).array([], () => undefined);
    if (ctx.acls === null) return fail(ErrorCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE);
    if (!allowedOnCluster(ctx, header, Operation.DESCRIBE)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const problem = invalidFilter(filter);
    if (problem) return fail(ErrorCode.INVALID_REQUEST, problem);
    const groups = new Map<string, AclBinding[]>();
    for (const b of ctx.acls.describe(filter)) {
      const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
      groups.set(key, [...(groups.get(key) ?? []), b]);
    }
    w.int16(ErrorCode.NONE).string(null);
    return w.array([...groups.values()], (w, list) => {
      writeBindingResource(w, v, list[0]);
      w.array(list, (w, b) => w.string(b.principal).string(b.host).int8(b.operation).int8(b.permission));
    });
  },
};

/** CreateAcls v0–1 (needs ALTER on the cluster). */
export const createAclsApi: Api = {
  key: 30,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const creations = r.array((r): AclBinding => {
      const resourceType = r.int8();
      const resourceName = r.string();
      const patternType = v >= 1 ? r.int8() : PatternType.LITERAL;
      return { resourceType, resourceName, patternType, principal: r.string(), host: r.string(), operation: r.int8(), permission: r.int8() };
    });
    const results = creations.map((b): { error: number; message: string | null } => {
      if (ctx.acls === null) return { error: ErrorCode.SECURITY_DISABLED, message: SECURITY_DISABLED_MESSAGE };
      if (!allowedOnCluster(ctx, header, Operation.ALTER)) return { error: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message: 'Cluster authorization failed.' };
      const problem = invalidBinding(b);
      return problem ? { error: ErrorCode.INVALID_REQUEST, message: problem } : { error: ErrorCode.NONE, message: null };
    });
    ctx.acls?.add(creations.filter((_, i) => results[i].error === ErrorCode.NONE));
    return new Writer().int32(0).array(results, (w, res) => w.int16(res.error).string(res.message));
  },
};

/** DeleteAcls v0–1 (needs ALTER on the cluster). */
export const deleteAclsApi: Api = {
  key: 31,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, header, r) {
    const v = header.apiVersion;
    const filters = r.array((r) => readFilter(r, v));
    const w = new Writer().int32(0);
    const refusal =
      ctx.acls === null
        ? { error: ErrorCode.SECURITY_DISABLED, message: SECURITY_DISABLED_MESSAGE }
        : !allowedOnCluster(ctx, header, Operation.ALTER)
          ? { error: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message: 'Cluster authorization failed.' }
          : null;
    const problems = filters.map((f) => refusal ?? (invalidFilter(f) ? { error: ErrorCode.INVALID_REQUEST, message: invalidFilter(f) } : null));
    const removed = ctx.acls && !refusal ? ctx.acls.remove(filters.map((f, i) => (problems[i] ? { ...f, resourceType: -1 } : f))) : filters.map(() => []);
    return w.array(filters.map((_, i) => i), (w, i) => {
      const problem = problems[i];
      w.int16(problem?.error ?? ErrorCode.NONE).string(problem?.message ?? null);
      w.array(problem ? [] : removed[i], (w, b) => {
        w.int16(ErrorCode.NONE).string(null);
        writeBindingResource(w, v, b);
        w.string(b.principal).string(b.host).int8(b.operation).int8(b.permission);
      });
    });
  },
};
