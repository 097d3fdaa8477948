/**
 * A JSON import arrives already parsed by the HTTP layer, so its original lines are gone. It is
 * written back one entry per line, and each line the import reader reports is translated into a
 * JSON pointer to the entry the client sent (`/identities/3`).
 */
export interface ImportText {
  readonly text: string;
  readonly pointerOf: (line: number) => string;
}

export function jsonImportText(body: unknown): ImportText {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { text: JSON.stringify(body ?? null), pointerOf: () => '' };
  const record = body as Record<string, unknown>;
  const lines: string[] = ['{'];
  const pointers = new Map<number, string>();
  const keys = Object.keys(record);
  keys.forEach((key, keyIndex) => {
    const value = record[key];
    const comma = keyIndex < keys.length - 1 ? ',' : '';
    if (!Array.isArray(value)) {
      pointers.set(lines.length + 1, `/${key}`);
      lines.push(`${JSON.stringify(key)}: ${JSON.stringify(value)}${comma}`);
      return;
    }
    lines.push(`${JSON.stringify(key)}: [`);
    value.forEach((entry, index) => {
      pointers.set(lines.length + 1, `/${key}/${index}`);
      lines.push(`${JSON.stringify(entry)}${index < value.length - 1 ? ',' : ''}`);
    });
    lines.push(`]${comma}`);
  });
  lines.push('}');
  return { text: lines.join('\n'), pointerOf: (line) => pointers.get(line) ?? '' };
}
