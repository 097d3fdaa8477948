import type { Directory, Identity, PolicyContext, Resource, Tier } from '../index';
import { defaultTiers } from '../index';

export const NOW = '2025-03-10T09:00:00.000Z';

const person = (id: string, extra: Partial<Identity> = {}): Identity => ({
  id,
  kind: 'person',
  displayName: id[0]?.toUpperCase() + id.slice(1),
  email: `${id}@example.com`,
  groups: [],
  active: true,
  ...extra,
});

/**
 * alice reports to mia, mia to ceo; owen and olga own the catalogue; sec1..sec3 form `security`;
 * `build-bot` is a service account owned by alice.
 */
export const directory: Directory = {
  identities: [
    person('alice', { managerId: 'mia', groups: ['engineering'] }),
    person('mia', { managerId: 'ceo', groups: ['engineering'] }),
    person('ceo'),
    person('owen', { managerId: 'mia' }),
    person('olga', { managerId: 'mia' }),
    person('sec1', { managerId: 'ceo' }),
    person('sec2', { managerId: 'ceo' }),
    person('sec3', { managerId: 'ceo' }),
    person('carl', { managerId: 'mia', groups: ['contractors'] }),
    person('sam', { managerId: 'mia', groups: ['sre'] }),
    person('dana', { managerId: 'mia', groups: ['contractors', 'sre'] }),
    person('ivan', { managerId: 'mia', active: false }),
    person('newbie'),
    { id: 'build-bot', kind: 'service', displayName: 'Build bot', owner: 'alice', groups: ['ci'], active: true },
    { id: 'orphan-bot', kind: 'service', displayName: 'Orphan bot', groups: [], active: true },
  ],
  groups: [
    { id: 'security', name: 'Security', members: ['sec1', 'sec2', 'sec3'] },
    { id: 'engineering', name: 'Engineering', members: [] },
    { id: 'contractors', name: 'Contractors', members: [] },
    { id: 'sre', name: 'SRE', members: [] },
    { id: 'ci', name: 'CI', members: [] },
  ],
};

export const resource = (tier: Tier, extra: Partial<Resource> = {}): Resource => ({
  id: `db-tier-${tier}`,
  name: `Database tier ${tier}`,
  connector: 'postgres',
  target: `postgres://db-${tier}.internal/app`,
  owners: ['owen', 'olga'],
  allowedRoles: ['read', 'write'],
  tier,
  breakGlassAllowed: true,
  ...extra,
});

export const context = (resources: readonly Resource[], extra: Partial<PolicyContext> = {}): PolicyContext => ({
  resources,
  tiers: defaultTiers(),
  directory,
  policyVersion: 7,
  priorApprovals: [],
  ...extra,
});

export const request = (resourceId: string, extra: Record<string, unknown> = {}) => ({
  requester: 'alice',
  items: [{ itemId: 'item-1', resourceId, role: 'read' }],
  justification: 'INC-42: investigate slow checkout',
  now: NOW,
  ...extra,
});
