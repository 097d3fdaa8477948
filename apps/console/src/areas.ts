/** The console's areas and who sees them (the services enforce the same roles on every call). */
export interface Area {
  readonly id: string;
  readonly title: string;
  readonly roles: readonly string[];
  readonly summary: string;
}

export const AREAS: readonly Area[] = [
  { id: 'requests', title: 'My access', roles: ['requester', 'admin'], summary: 'Search the catalogue, ask for one or more resources, follow your requests, extend, release or cancel them, break glass.' },
  { id: 'inbox', title: 'Approvals', roles: ['approver', 'admin'], summary: 'Requests waiting for you, with who asks, for what, why, the tier, the duration and the history; approve, shorten or deny; ratify break-glass.' },
  { id: 'tickets', title: 'Tickets', roles: ['approver', 'admin'], summary: 'Fulfilment tickets of the resources you fulfil: complete or fail them with a comment.' },
  { id: 'admin', title: 'Administration', roles: ['admin'], summary: 'Resources, tiers, the directory and its import, connector health, requests on behalf of someone, revocation.' },
  { id: 'audit', title: 'Audit', roles: ['auditor', 'admin'], summary: "A request's timeline, who had access to what and when, active grants, evidence and access summaries as CSV or JSON." },
];

export function areasFor(roles: readonly string[]): Area[] {
  return AREAS.filter((area) => area.roles.some((role) => roles.includes(role)));
}
