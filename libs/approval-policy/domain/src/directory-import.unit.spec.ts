import { evaluate, parseDirectoryImport, type DirectoryImport } from './index';
import { context, request, resource } from './testing/fixtures';

const errorsOf = (result: DirectoryImport) => (result.ok ? [] : result.errors);

describe('parseDirectoryImport', () => {
  describe('CSV', () => {
    const header = 'id,kind,displayName,email,managerId,groups';

    it('reads people, service accounts and groups', () => {
      const csv = [
        header,
        'mia,person,Mia Manager,mia@example.com,,engineering',
        'alice,person,"Smith, Alice",alice@example.com,mia,engineering;db-readers',
        '',
        'build-bot,service,Build bot,,alice,ci',
      ].join('\r\n');
      const result = parseDirectoryImport(csv, 'csv');
      expect(result).toEqual({
        ok: true,
        identities: [
          { id: 'mia', kind: 'person', displayName: 'Mia Manager', email: 'mia@example.com', groups: ['engineering'], active: true },
          {
            id: 'alice',
            kind: 'person',
            displayName: 'Smith, Alice',
            email: 'alice@example.com',
            managerId: 'mia',
            groups: ['db-readers', 'engineering'],
            active: true,
          },
          { id: 'build-bot', kind: 'service', displayName: 'Build bot', owner: 'alice', groups: ['ci'], active: true },
        ],
        groups: [
          { id: 'ci', name: 'ci', members: ['build-bot'] },
          { id: 'db-readers', name: 'db-readers', members: ['alice'] },
          { id: 'engineering', name: 'engineering', members: ['alice', 'mia'] },
        ],
      });
    });

    it('accepts columns in any order with optional owner and active columns', () => {
      const csv = [
        'groups,active,owner,managerId,email,displayName,kind,id',
        ',false,,,,Old,person,old',
        ',true,old,,,Bot,service,bot',
      ].join('\n');
      const result = parseDirectoryImport(csv, 'csv');
      expect(result.ok && result.identities.map(({ id, active, owner }) => ({ id, active, owner }))).toEqual([
        { id: 'old', active: false, owner: undefined },
        { id: 'bot', active: true, owner: 'old' },
      ]);
    });

    it('feeds the engine directly', () => {
      const csv = [header, 'mia,person,Mia,,,', 'alice,person,Alice,,mia,'].join('\n');
      const imported = parseDirectoryImport(csv, 'csv');
      if (!imported.ok) throw new Error('import failed');
      const result = evaluate(request('db-tier-1'), context([resource(1)], { directory: imported }));
      expect(result.ok && result.items[0]?.policy.steps[0]?.approvers).toEqual(['mia']);
    });

    it('reports every bad row with its line number and returns nothing else', () => {
      const csv = [
        header,
        'mia,person,Mia,,,',
        'bob,robot,Bob,,,',
        ',person,Nameless,,,',
        'carol,person,Carol,not-an-email,,',
        'dave,person,Dave,,ghost,',
        'mia,person,Mia again,,,',
        'erin,person,Erin,,erin,',
        'bot,service,Bot,,,',
        'too,few,fields',
        'quote,person,"unterminated,,,',
      ].join('\n');
      expect(errorsOf(parseDirectoryImport(csv, 'csv')).map(({ line, message }) => `${line}: ${message}`)).toEqual([
        '3: kind must be "person" or "service", got "robot"',
        '4: missing id',
        '5: email not-an-email is not an address',
        '6: manager ghost of dave is not in the import',
        '7: duplicate id mia (first on line 2)',
        '8: erin cannot be their own manager',
        '9: service account bot needs an owner (a responsible person)',
        '10: expected 6 fields, found 3',
        '11: unterminated quoted field',
      ]);
    });

    it.each([
      ['an empty file', '', 1, 'empty input'],
      ['a header without the required columns', 'id,kind,name\nx,person,X', 1, 'missing column(s): displayName, email, managerId, groups'],
      ['a bad active flag', `${header},active\nx,person,X,,,,maybe`, 2, 'active must be true or false'],
    ])('refuses %s', (_name, csv, line, message) => {
      const [error] = errorsOf(parseDirectoryImport(csv, 'csv'));
      expect(error?.line).toBe(line);
      expect(error?.message).toContain(message);
    });
  });

  describe('JSON', () => {
    it('reads identities and groups, merging memberships from both sides', () => {
      const json = JSON.stringify(
        {
          identities: [
            { id: 'sec1', kind: 'person', displayName: 'Sec One' },
            { id: 'sec2', kind: 'person', displayName: 'Sec Two', groups: ['security'], active: false },
          ],
          groups: [{ id: 'security', name: 'Security', members: ['sec1'] }, { id: 'empty' }],
        },
        null,
        2,
      );
      const result = parseDirectoryImport(json, 'json');
      expect(result).toEqual({
        ok: true,
        identities: [
          { id: 'sec1', kind: 'person', displayName: 'Sec One', groups: ['security'], active: true },
          { id: 'sec2', kind: 'person', displayName: 'Sec Two', groups: ['security'], active: false },
        ],
        groups: [
          { id: 'security', name: 'Security', members: ['sec1', 'sec2'] },
          { id: 'empty', name: 'empty', members: [] },
        ],
      });
    });

    it('points at the line of each bad entry', () => {
      const json = `{
  "identities": [
    { "id": "ok", "kind": "person", "displayName": "Ok" },
    { "id": "bad", "kind": "alien", "displayName": "Bad" },
    {
      "id": "svc", "kind": "service", "displayName": "Svc", "owner": "ghost"
    },
    { "id": "g", "kind": "person", "displayName": "G", "groups": "not-a-list" },
    "just a string"
  ],
  "groups": [
    { "id": "team", "members": ["ok", "nobody"] }
  ]
}`;
      expect(errorsOf(parseDirectoryImport(json, 'json')).map(({ line, message }) => `${line}: ${message}`)).toEqual([
        '4: kind must be "person" or "service", got "alien"',
        '5: owner ghost of svc is not in the import',
        '8: "groups" must be an array of group ids',
        '9: an identity must be an object',
        '12: member nobody of group team is not in the import',
      ]);
    });

    it.each([
      ['a trailing comma', '{\n  "identities": [\n    {"id": "a",},\n  ]\n}', 3],
      ['an unterminated string', '{\n  "identities": [\n    {"id": "a\n', 3],
      ['garbage after the document', '{"identities": []}\n\nx', 3],
      ['a missing identities array', '{\n  "people": []\n}', 1],
      ['a non-string field', '{"identities": [{"id": 1, "kind": "person", "displayName": "X"}]}', 1],
    ])('refuses %s with its line', (_name, json, line) => {
      const errors = errorsOf(parseDirectoryImport(json, 'json'));
      expect(errors).toHaveLength(1);
      expect(errors[0]?.line).toBe(line);
    });
  });
});
