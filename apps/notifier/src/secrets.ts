import { readFileSync } from 'node:fs';

/**
 * A secret given as `NAME` or as `NAME_FILE` (a mounted file, read when needed so a rotated file is
 * picked up). Never logged; a file that cannot be read is named, its content never.
 */
export function secretOf(value: string, file: string): () => string {
  if (value !== '') return () => value;
  if (file === '') return () => '';
  return () => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new Error(`cannot read the secret file ${file}`);
    }
  };
}
