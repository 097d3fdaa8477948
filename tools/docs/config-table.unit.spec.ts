import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BEGIN, configTable, connectorTable, CONNECTORS_BEGIN, CONNECTORS_END, END } from './config-table';

describe("the README's configuration table", () => {
  it('matches what the services actually read', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const current = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END) + END.length);
    expect(current).toBe(configTable());
  });

  it('lists every connector of the one list with its target and settings', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const current = readme.slice(readme.indexOf(CONNECTORS_BEGIN), readme.indexOf(CONNECTORS_END) + CONNECTORS_END.length);
    expect(current).toBe(connectorTable());
    for (const name of ['postgres', 'webhook', 'manual', 'ldap', 'github']) expect(current).toContain(`| \`${name}\` |`);
  });
});
