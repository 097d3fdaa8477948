#!/usr/bin/env node
// Runs a TypeScript entry point without a build step: SWC compiles on load (with decorator
// metadata, which NestJS dependency injection needs) and tsconfig paths resolve @kairos/* imports.
// A built entry (`dist/apps/<app>/main.js`, see tools/build) runs as it is, without loading SWC.
const path = require('node:path');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts <entry.ts|entry.js> [args...]');
  process.exit(2);
}
if (!entry.endsWith('.js')) {
  process.env.SWC_NODE_PROJECT ??= path.join(__dirname, '..', 'tsconfig.json');
  require('@swc-node/register');
}
process.argv = [process.argv[0], path.resolve(entry), ...args];
require(path.resolve(entry));
