import type { Resource } from '@kairos/approval-policy-domain';

/** The resources of the catalogue; every write bumps the policy version. */
export interface ResourceCatalogue {
  resources(): Promise<Resource[]>;
  resource(id: string): Promise<Resource | undefined>;
  policyVersion(): Promise<number>;
  /** Creates (`mustExist: false`) or replaces (`mustExist: true`); `saved` false when that expectation fails. */
  saveResource(resource: Resource, mustExist: boolean): Promise<{ saved: boolean; policyVersion: number }>;
  deleteResource(id: string): Promise<boolean>;
}

export interface KnownGroups {
  /** The ids among `ids` that name a group of the directory. */
  existingGroups(ids: readonly string[]): Promise<Set<string>>;
}
