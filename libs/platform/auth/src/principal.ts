export const ROLES = ['requester', 'approver', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as proven by a verified bearer token. */
export interface Principal {
  readonly id: string;
  readonly roles: readonly Role[];
  readonly kind: 'person' | 'service';
  readonly token: string;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function hasRole(principal: Principal, ...roles: Role[]): boolean {
  return roles.some((role) => principal.roles.includes(role));
}
