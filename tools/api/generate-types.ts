import { readFileSync } from 'node:fs';
import { generatedTypes } from './services';

/** Prints the client types generated from one OpenAPI document (a child process: openapi-typescript needs require(esm), which jest lacks). */
generatedTypes(JSON.parse(readFileSync(process.argv[2]!, 'utf8'))).then(
  (text) => process.stdout.write(text),
  (error) => {
    process.stderr.write(String(error));
    process.exit(1);
  },
);
