#!/usr/bin/env node
// The installable `kairos` command. In the repository it runs the sources (SWC compiles on load,
// so it is never a stale build); where only the build ships (an image), it runs dist/apps/cli.
const { existsSync } = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..', '..', '..');
const source = path.join(root, 'apps', 'cli', 'src', 'main.ts');
if (existsSync(source) && existsSync(path.join(root, 'node_modules', '@swc-node', 'register'))) {
  process.env.SWC_NODE_PROJECT ??= path.join(root, 'tsconfig.json');
  require('@swc-node/register');
  require(source);
} else {
  require(path.join(root, 'dist', 'apps', 'cli', 'main.js'));
}
