import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BEGIN, configTable, END } from './config-table';

describe("the README's configuration table", () => {
  it('matches what the services actually read', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const current = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END) + END.length);
    expect(current).toBe(configTable());
  });
});
