/**
 * A small JSON reader that remembers the line each object starts on, so an import can point at
 * the line of a bad entry (JSON.parse reports neither the line nor, on Node 20, the position).
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export interface JsonWithLines {
  readonly value: JsonValue;
  /** Line on which an object or array opens. */
  readonly lineOf: (value: object) => number | undefined;
  /** Line on which an array's element begins, primitives included. */
  readonly lineOfElement: (array: readonly JsonValue[], index: number) => number | undefined;
}

export function parseJsonWithLines(text: string): JsonWithLines {
  const lines = new WeakMap<object, number>();
  const elementLines = new WeakMap<readonly JsonValue[], number[]>();
  let pos = 0;
  let line = 1;

  const fail = (message: string): never => {
    throw new JsonSyntaxError(line, message);
  };
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos] as string)) {
      if (text[pos] === '\n') line++;
      pos++;
    }
  };
  const expect = (char: string) => {
    skipSpace();
    if (text[pos] !== char) fail(`expected '${char}' but found ${text[pos] === undefined ? 'the end' : `'${text[pos]}'`}`);
    pos++;
  };

  const value = (): JsonValue => {
    skipSpace();
    const char = text[pos];
    if (char === '{') return object();
    if (char === '[') return array();
    if (char === '"') return string();
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return number();
    for (const [word, result] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return result;
      }
    }
    return fail(char === undefined ? 'unexpected end of input' : `unexpected '${char}'`);
  };

  const object = (): JsonValue => {
    const result: { [key: string]: JsonValue } = {};
    lines.set(result, line);
    pos++;
    skipSpace();
    if (text[pos] === '}') {
      pos++;
      return result;
    }
    for (;;) {
      skipSpace();
      if (text[pos] !== '"') fail('expected a property name in double quotes');
      const key = string();
      expect(':');
      result[key] = value();
      skipSpace();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      expect('}');
      return result;
    }
  };

  const array = (): JsonValue => {
    const result: JsonValue[] = [];
    const starts: number[] = [];
    lines.set(result, line);
    elementLines.set(result, starts);
    pos++;
    skipSpace();
    if (text[pos] === ']') {
      pos++;
      return result;
    }
    for (;;) {
      skipSpace();
      starts.push(line);
      result.push(value());
      skipSpace();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      expect(']');
      return result;
    }
  };

  const string = (): string => {
    const start = pos;
    pos++;
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === '\n') fail('unterminated string');
      pos += text[pos] === '\\' ? 2 : 1;
    }
    if (pos >= text.length) fail('unterminated string');
    pos++;
    try {
      return JSON.parse(text.slice(start, pos)) as string;
    } catch {
      return fail('invalid escape in string');
    }
  };

  const number = (): number => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(pos));
    if (!match) return fail('invalid number');
    pos += match[0].length;
    return Number(match[0]);
  };

  const result = value();
  skipSpace();
  if (pos < text.length) fail(`unexpected '${text[pos]}' after the end of the document`);
  return { value: result, lineOf: (node) => lines.get(node), lineOfElement: (array, index) => elementLines.get(array)?.[index] };
}
