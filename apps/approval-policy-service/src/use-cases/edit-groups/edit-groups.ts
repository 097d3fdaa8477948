import type { Group } from '@kairos/approval-policy-domain';
import { refuse } from '@kairos/refusal';
import type { DirectoryStore } from '../../domain/directory-store';

/** A group as an admin writes it (its id aside). */
export interface GroupInput {
  readonly name: string;
  readonly members?: readonly string[];
}

const notFound = (id: string) => refuse.notFound('GROUP_NOT_FOUND', `no group ${id}`);

/** The admins' edits of the directory's groups; every member must be an identity of the directory. */
export class EditGroups {
  constructor(private readonly directory: DirectoryStore) {}

  async list(): Promise<{ items: Group[] }> {
    return { items: await this.directory.groups() };
  }

  async get(id: string): Promise<Group> {
    const group = await this.directory.group(id);
    if (!group) throw notFound(id);
    return group;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.directory.deleteGroup(id))) throw notFound(id);
  }

  /** Creates (`mustExist: false`) or replaces (`mustExist: true`) a group; its members become exactly `input.members`. */
  async save(id: string, input: GroupInput, mustExist: boolean): Promise<Group> {
    const members = [...new Set(input.members ?? [])].sort();
    await this.directory.write(async (tx) => {
      const exists = (await tx.existingGroups([id])).has(id);
      if (mustExist && !exists) throw notFound(id);
      if (!mustExist && exists) throw refuse.conflict('GROUP_EXISTS', `group ${id} already exists; PUT replaces it`);
      const known = await tx.existing(members);
      const unknown = members.filter((member) => !known.has(member));
      if (unknown.length > 0) {
        throw refuse.invalid('VALIDATION_FAILED', '1 field(s) are not valid', {
          errors: [{ field: 'members', messages: unknown.map((member) => `no identity ${member} in the directory`) }],
        });
      }
      await tx.putGroup({ id, name: input.name, members });
    });
    return (await this.directory.group(id)) as Group;
  }
}
