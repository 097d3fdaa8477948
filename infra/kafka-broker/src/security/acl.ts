import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileDurably } from '../storage/fs-sync';

/** Kafka's AclResourceType, AclOperation, AclPermissionType and PatternType codes. */
export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6 } as const;
export const Operation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const;
export const Permission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;

export const CLUSTER_NAME = 'kafka-cluster';
const WILDCARD = '*';

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permission: number;
}

export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permission: number;
}

const PRINCIPAL = /^[^:]+:.+$/s;

/** Null when the binding can be stored; else why not (Kafka answers INVALID_REQUEST). */
export function invalidBinding(b: AclBinding): string | null {
  if (![2, 3, 4, 5, 6].includes(b.resourceType)) return `Invalid resource type ${b.resourceType}`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `Invalid pattern type ${b.patternType}`;
  if (b.resourceName === '') return 'Resource name must not be empty';
  if (b.patternType === PatternType.PREFIXED && b.resourceName === WILDCARD) return 'Prefixed ACLs cannot use the wildcard name';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) return `The only valid cluster resource name is ${CLUSTER_NAME}`;
  if (!PRINCIPAL.test(b.principal)) return `Invalid principal ${b.principal}: expected Type:name`;
  if (b.host === '') return 'Host must not be empty';
  if (b.operation < Operation.ALL || b.operation > Operation.IDEMPOTENT_WRITE) return `Invalid operation ${b.operation}`;
  if (b.permission !== Permission.ALLOW && b.permission !== Permission.DENY) return `Invalid permission type ${b.permission}`;
  return null;
}

/** Null when the filter is well formed (DescribeAcls/DeleteAcls), else why not. */
export function invalidFilter(f: AclFilter): string | null {
  if (f.resourceType < ResourceType.ANY || f.resourceType > ResourceType.DELEGATION_TOKEN) return `Invalid resource type ${f.resourceType}`;
  if (f.patternType < PatternType.ANY || f.patternType > PatternType.PREFIXED) return `Invalid pattern type ${f.patternType}`;
  if (f.operation < Operation.ANY || f.operation > Operation.IDEMPOTENT_WRITE) return `Invalid operation ${f.operation}`;
  if (f.permission < Permission.ANY || f.permission > Permission.ALLOW) return `Invalid permission type ${f.permission}`;
  return null;
}

function nameMatchesFilter(b: AclBinding, f: AclFilter): boolean {
  if (f.resourceName === null) return true;
  if (f.patternType === PatternType.MATCH) {
    if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD;
    return f.resourceName.startsWith(b.resourceName);
  }
  return b.resourceName === f.resourceName;
}

export function matchesFilter(b: AclBinding, f: AclFilter): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== b.patternType) return false;
  if (!nameMatchesFilter(b, f)) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== Operation.ANY && f.operation !== b.operation) return false;
  if (f.permission !== Permission.ANY && f.permission !== b.permission) return false;
  return true;
}

const same = (a: AclBinding, b: AclBinding) =>
  a.resourceType === b.resourceType &&
  a.resourceName === b.resourceName &&
  a.patternType === b.patternType &&
  a.principal === b.principal &&
  a.host === b.host &&
  a.operation === b.operation &&
  a.permission === b.permission;

export interface AuthorizerOptions {
  /** Principals that pass every check, e.g. `User:admin`. */
  superUsers?: string[];
  /** Kafka's allow.everyone.if.no.acl.found (default false). */
  allowEveryoneIfNoAclFound?: boolean;
}

/**
 * Kafka's AclAuthorizer on one node: ACLs kept in `<data>/acls.json` (replaced durably on
 * every change), DENY before ALLOW, DESCRIBE implied by READ/WRITE/DELETE/ALTER and
 * DESCRIBE_CONFIGS by ALTER_CONFIGS, super users always allowed, and no ACL on a resource
 * meaning deny unless allowEveryoneIfNoAclFound.
 */
export class AclStore {
  private acls: AclBinding[] = [];
  private readonly file: string | null;
  private readonly superUsers: Set<string>;

  constructor(
    dataDir: string | null,
    private readonly options: AuthorizerOptions,
  ) {
    this.superUsers = new Set(options.superUsers ?? []);
    this.file = dataDir === null ? null : path.join(dataDir, 'acls.json');
    if (this.file !== null && fs.existsSync(this.file)) this.acls = JSON.parse(fs.readFileSync(this.file, 'utf8')) as AclBinding[];
  }

  private persist(): void {
    if (this.file !== null) writeFileDurably(this.file, JSON.stringify(this.acls));
  }

  add(bindings: AclBinding[]): void {
    for (const b of bindings) if (!this.acls.some((a) => same(a, b))) this.acls.push(b);
    this.persist();
  }

  describe(filter: AclFilter): AclBinding[] {
    return this.acls.filter((a) => matchesFilter(a, filter));
  }

  /** Removes what each filter matches; returns the removed bindings per filter. */
  remove(filters: AclFilter[]): AclBinding[][] {
    const removed = filters.map((f) => this.acls.filter((a) => matchesFilter(a, f)));
    const gone = new Set(removed.flat());
    if (gone.size > 0) {
      this.acls = this.acls.filter((a) => !gone.has(a));
      this.persist();
    }
    return removed;
  }

  authorize(principal: string, host: string, operation: number, resourceType: number, name: string): boolean {
    if (this.superUsers.has(principal)) return true;
    const relevant = this.acls.filter(
      (a) =>
        a.resourceType === resourceType &&
        (a.patternType === PatternType.LITERAL ? a.resourceName === name || a.resourceName === WILDCARD : name.startsWith(a.resourceName)),
    );
    if (relevant.length === 0) return this.options.allowEveryoneIfNoAclFound === true;
    const who = (a: AclBinding) => (a.principal === principal || a.principal === 'User:*') && (a.host === host || a.host === WILDCARD);
    if (relevant.some((a) => a.permission === Permission.DENY && who(a) && (a.operation === operation || a.operation === Operation.ALL))) return false;
    const implied: number[] =
      operation === Operation.DESCRIBE
        ? [Operation.DESCRIBE, Operation.READ, Operation.WRITE, Operation.DELETE, Operation.ALTER]
        : operation === Operation.DESCRIBE_CONFIGS
          ? [Operation.DESCRIBE_CONFIGS, Operation.ALTER_CONFIGS]
          : [operation];
    return relevant.some((a) => a.permission === Permission.ALLOW && who(a) && (a.operation === Operation.ALL || implied.includes(a.operation)));
  }
}
