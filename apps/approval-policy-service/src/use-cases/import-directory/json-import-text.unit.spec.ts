import { parseDirectoryImport } from '@kairos/approval-policy-domain';
import { jsonImportText } from './json-import-text';

describe('a JSON directory import', () => {
  it('points each error at the entry the client sent', () => {
    const source = jsonImportText({
      identities: [
        { id: 'a', kind: 'person', displayName: 'A' },
        { id: 'b', kind: 'robot', displayName: 'B' },
      ],
      groups: [{ id: 'g', members: ['ghost'] }],
    });
    const result = parseDirectoryImport(source.text, 'json');
    expect(result.ok ? [] : result.errors.map((error) => source.pointerOf(error.line))).toEqual(['/identities/1', '/groups/0']);
  });

  it('reads a valid body unchanged', () => {
    const result = parseDirectoryImport(
      jsonImportText({ identities: [{ id: 'a', kind: 'person', displayName: 'A', groups: ['g'] }] }).text,
      'json',
    );
    expect(result).toMatchObject({ ok: true, groups: [{ id: 'g', members: ['a'] }] });
  });

  it('lets the reader refuse a body that is not an object', () => {
    expect(parseDirectoryImport(jsonImportText([1, 2]).text, 'json').ok).toBe(false);
  });
});
