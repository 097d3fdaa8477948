import type { Identity } from '@kairos/approval-policy-domain';
import { refuse } from '@kairos/refusal';
import type { DirectoryStore } from '../../domain/directory-store';

/** A person or service account as an admin writes it (its id aside). */
export interface IdentityInput {
  readonly kind: 'person' | 'service';
  readonly displayName: string;
  readonly email?: string;
  readonly managerId?: string;
  readonly owner?: string;
  readonly groups?: readonly string[];
  readonly active?: boolean;
}

const notFound = (id: string) => refuse.notFound('IDENTITY_NOT_FOUND', `no identity ${id}`);

/** The admins' edits of the directory's people and service accounts. */
export class EditIdentities {
  constructor(private readonly directory: DirectoryStore) {}

  async list(): Promise<{ items: Identity[] }> {
    return { items: await this.directory.identities() };
  }

  async get(id: string): Promise<Identity> {
    const identity = await this.directory.identity(id);
    if (!identity) throw notFound(id);
    return identity;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.directory.deleteIdentity(id))) throw notFound(id);
  }

  /** Creates (`mustExist: false`) or replaces (`mustExist: true`) an identity; unknown groups are created. */
  save(id: string, input: IdentityInput, mustExist: boolean): Promise<Identity> {
    const identity: Identity = {
      id,
      kind: input.kind,
      displayName: input.displayName,
      ...(input.email ? { email: input.email } : {}),
      ...(input.managerId ? { managerId: input.managerId } : {}),
      ...(input.kind === 'service' && input.owner ? { owner: input.owner } : {}),
      groups: [...new Set(input.groups ?? [])],
      active: input.active ?? true,
    };
    return this.directory.write(async (tx) => {
      const existing = await tx.identity(id);
      if (mustExist && !existing) throw notFound(id);
      if (!mustExist && existing) throw refuse.conflict('IDENTITY_EXISTS', `identity ${id} already exists; PUT replaces it`);
      const errors: { field: string; messages: string[] }[] = [];
      const references = [identity.managerId, identity.owner].filter((ref): ref is string => ref !== undefined);
      const known = await tx.existing(references);
      if (identity.managerId !== undefined && (identity.managerId === id || !known.has(identity.managerId))) {
        errors.push({ field: 'managerId', messages: [`manager ${identity.managerId} must be another identity of the directory`] });
      }
      // A service account nobody answers for is the forgotten non-human identity.
      if (identity.kind === 'service' && (identity.owner === undefined || identity.owner === id || !known.has(identity.owner))) {
        errors.push({ field: 'owner', messages: ['a service account needs an owner: another identity of the directory'] });
      }
      if (errors.length > 0) throw refuse.invalid('VALIDATION_FAILED', `${errors.length} field(s) are not valid`, { errors });
      await tx.putIdentity(identity);
      return (await tx.identity(id)) as Identity;
    });
  }
}
