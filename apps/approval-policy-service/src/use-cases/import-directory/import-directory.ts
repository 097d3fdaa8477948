import { parseDirectoryImport } from '@kairos/approval-policy-domain';
import { refuse } from '@kairos/refusal';
import type { DirectoryStore } from '../../domain/directory-store';
import { jsonImportText } from './json-import-text';

/** A directory export: CSV text as sent, or JSON as the HTTP layer parsed it. */
export type DirectoryExport = { readonly format: 'csv'; readonly text: string } | { readonly format: 'json'; readonly body: unknown };

/**
 * Replaces the directory from an export: everyone in it is written, everyone else deactivated,
 * memberships become the import's. All or nothing: an export with any problem imports nothing and
 * says every problem (a CSV line, or a JSON pointer to the entry the client sent).
 */
export class ImportDirectory {
  constructor(private readonly directory: Pick<DirectoryStore, 'write'>) {}

  async execute(source: DirectoryExport): Promise<{ identities: number; groups: number; deactivated: number }> {
    const text = source.format === 'csv' ? { text: source.text, pointerOf: () => '' } : jsonImportText(source.body);
    const result = parseDirectoryImport(text.text, source.format);
    if (!result.ok) {
      throw refuse.invalid('DIRECTORY_IMPORT_INVALID', `${result.errors.length} problem(s); nothing was imported`, {
        errors: result.errors.map((error) => (source.format === 'csv' ? error : { pointer: text.pointerOf(error.line), message: error.message })),
      });
    }
    const { deactivated } = await this.directory.write((tx) => tx.replaceAll(result));
    return { identities: result.identities.length, groups: result.groups.length, deactivated };
  }
}
