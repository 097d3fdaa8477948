#!/usr/bin/env node
// Runs a TypeScript entry point without a build step: SWC compiles on load (with decorator
// metadata, which NestJS dependency injection needs) and tsconfig paths resolve @kairos/* imports.
const path = require('node:path');
process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.json');
require('@swc-node/register');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts <entry.ts> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(entry), ...args];
require(path.resolve(entry));
