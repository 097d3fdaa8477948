import { JsonSyntaxError, parseJsonWithLines, type JsonValue, type JsonWithLines } from './json-with-lines';
import type { Group, Identity } from './model';

export interface ImportError {
  /** 1-based line of the input; for CSV the header is line 1. */
  readonly line: number;
  readonly message: string;
}

export type DirectoryImport =
  { readonly ok: true; readonly identities: Identity[]; readonly groups: Group[] } | { readonly ok: false; readonly errors: ImportError[] };

interface IdentityRow {
  readonly line: number;
  readonly identity: Identity;
}

interface GroupRow {
  readonly line: number;
  readonly group: Group;
}

export const CSV_COLUMNS = ['id', 'kind', 'displayName', 'email', 'managerId', 'groups'] as const;

/**
 * Reads a directory export.
 *
 * CSV: a header naming at least `id,kind,displayName,email,managerId,groups` (any order; optional
 * `owner` and `active` columns), then one identity per line; groups separated by `;`. For a service
 * account the `managerId` column names its responsible person (its `owner`) unless an `owner`
 * column is present. Fields may be double-quoted, with `""` for a quote; a record is one line.
 *
 * JSON: `{ "identities": [Identity...], "groups"?: [{ "id", "name"?, "members"? }] }`.
 *
 * Either all of it is valid or nothing is returned: every error comes back with its line.
 */
export function parseDirectoryImport(text: string, format: 'json' | 'csv'): DirectoryImport {
  const read = format === 'csv' ? readCsv(text) : readJson(text);
  const checked = crossCheck(read);
  const errors = [...read.errors, ...(checked.ok ? [] : checked.errors)].sort((a, b) => a.line - b.line);
  return errors.length > 0 ? { ok: false, errors } : checked;
}

interface Read {
  identities: IdentityRow[];
  groups: GroupRow[];
  errors: ImportError[];
  /** Ids of rows refused for other reasons: still known, so references to them are not errors too. */
  refusedIds: Set<string>;
}

const emptyRead = (errors: ImportError[] = []): Read => ({ identities: [], groups: [], errors, refusedIds: new Set() });

function readCsv(text: string): Read {
  const read = emptyRead();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) return emptyRead([{ line: 1, message: 'empty input: expected a header line' }]);

  const header = splitCsvLine(lines[headerIndex] as string);
  const headerLine = headerIndex + 1;
  if (typeof header === 'string') return emptyRead([{ line: headerLine, message: header }]);
  const columns = header.map((name) => name.trim());
  const missing = CSV_COLUMNS.filter((name) => !columns.includes(name));
  if (missing.length > 0) return emptyRead([{ line: headerLine, message: `header is missing column(s): ${missing.join(', ')}` }]);
  const hasOwnerColumn = columns.includes('owner');

  lines.forEach((raw, index) => {
    const line = index + 1;
    if (index <= headerIndex || raw.trim() === '') return;
    const fields = splitCsvLine(raw);
    if (typeof fields === 'string') return void read.errors.push({ line, message: fields });
    if (fields.length !== columns.length) {
      return void read.errors.push({ line, message: `expected ${columns.length} fields, found ${fields.length}` });
    }
    const cell = (name: string): string | undefined => {
      const value = fields[columns.indexOf(name)]?.trim();
      return value === undefined || value === '' ? undefined : value;
    };
    const kind = cell('kind');
    const managerColumn = cell('managerId');
    const record = {
      id: cell('id'),
      kind,
      displayName: cell('displayName'),
      email: cell('email'),
      managerId: kind === 'service' && !hasOwnerColumn ? undefined : managerColumn,
      owner: kind === 'service' ? (hasOwnerColumn ? cell('owner') : managerColumn) : undefined,
      groups: (cell('groups') ?? '')
        .split(';')
        .map((group) => group.trim())
        .filter((group) => group !== ''),
      active: cell('active') ?? true,
    };
    collectIdentity(record, line, read);
  });
  return read;
}

/** The fields of one CSV record, or a message saying why it cannot be read. */
function splitCsvLine(line: string): string[] | string {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (char === ',') {
      fields.push(field);
      field = '';
    } else {
      field += char;
    }
  }
  if (quoted) return 'unterminated quoted field';
  fields.push(field);
  return fields;
}

function readJson(text: string): Read {
  const read = emptyRead();
  let parsed: JsonWithLines;
  try {
    parsed = parseJsonWithLines(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return emptyRead([{ line: error.line, message: `invalid JSON: ${error.message}` }]);
    throw error;
  }
  const { value: root, lineOf, lineOfElement } = parsed;
  if (!isObject(root) || !Array.isArray(root['identities'])) {
    return emptyRead([{ line: 1, message: 'expected an object with an "identities" array' }]);
  }
  const identities = root['identities'];
  for (const [index, entry] of identities.entries()) {
    const line = lineOfElement(identities, index) ?? 1;
    if (!isObject(entry)) {
      read.errors.push({ line, message: 'an identity must be an object' });
      continue;
    }
    const groups = entry['groups'] ?? [];
    if (!isStringArray(groups)) {
      read.errors.push({ line, message: '"groups" must be an array of group ids' });
      continue;
    }
    collectIdentity({ ...entry, groups, active: entry['active'] ?? true }, line, read);
  }
  const groups = root['groups'] ?? [];
  if (!Array.isArray(groups)) {
    read.errors.push({ line: lineOf(root) ?? 1, message: '"groups" must be an array' });
    return read;
  }
  for (const [index, entry] of groups.entries()) {
    const line = lineOfElement(groups, index) ?? 1;
    if (!isObject(entry) || !isText(entry['id'])) {
      read.errors.push({ line, message: 'a group needs a string "id"' });
      continue;
    }
    const members = entry['members'] ?? [];
    const name = entry['name'] ?? entry['id'];
    if (!isStringArray(members) || !isText(name)) {
      read.errors.push({ line, message: `group ${entry['id']}: "members" must be an array of identity ids and "name" a string` });
      continue;
    }
    read.groups.push({ line, group: { id: entry['id'], name, members } });
  }
  return read;
}

interface RawIdentity {
  readonly id?: unknown;
  readonly kind?: unknown;
  readonly displayName?: unknown;
  readonly email?: unknown;
  readonly managerId?: unknown;
  readonly owner?: unknown;
  readonly groups: readonly string[];
  readonly active: unknown;
}

function collectIdentity(raw: RawIdentity, line: number, read: Read): void {
  const problems: string[] = [];
  if (!isText(raw.id)) problems.push('missing id');
  if (raw.kind !== 'person' && raw.kind !== 'service')
    problems.push(`kind must be "person" or "service", got ${JSON.stringify(raw.kind ?? '')}`);
  if (!isText(raw.displayName)) problems.push('missing displayName');
  for (const field of ['email', 'managerId', 'owner'] as const) {
    if (raw[field] !== undefined && raw[field] !== null && !isText(raw[field])) problems.push(`${field} must be a string`);
  }
  if (isText(raw.email) && !/^[^@\s]+@[^@\s]+$/.test(raw.email)) problems.push(`email ${raw.email} is not an address`);
  const active = raw.active === true || raw.active === 'true' ? true : raw.active === false || raw.active === 'false' ? false : undefined;
  if (active === undefined) problems.push('active must be true or false');
  if (problems.length > 0 || !isText(raw.id) || !isText(raw.displayName) || (raw.kind !== 'person' && raw.kind !== 'service')) {
    read.errors.push({ line, message: problems.join('; ') });
    if (isText(raw.id)) read.refusedIds.add(raw.id);
    return;
  }
  read.identities.push({
    line,
    identity: {
      id: raw.id,
      kind: raw.kind,
      displayName: raw.displayName,
      ...(isText(raw.email) ? { email: raw.email } : {}),
      ...(isText(raw.managerId) ? { managerId: raw.managerId } : {}),
      ...(isText(raw.owner) ? { owner: raw.owner } : {}),
      groups: [...new Set(raw.groups)],
      active: active === true,
    },
  });
}

function crossCheck({ identities: identityRows, groups: groupRows, refusedIds }: Read): DirectoryImport {
  const errors: ImportError[] = [];
  const firstLine = new Map<string, number>();
  const known = (id: string) => firstLine.has(id) || refusedIds.has(id);
  for (const { line, identity } of identityRows) {
    const earlier = firstLine.get(identity.id);
    if (earlier !== undefined) errors.push({ line, message: `duplicate id ${identity.id} (first on line ${earlier})` });
    else firstLine.set(identity.id, line);
  }
  for (const { line, identity } of identityRows) {
    if (identity.managerId !== undefined) {
      if (identity.managerId === identity.id) errors.push({ line, message: `${identity.id} cannot be their own manager` });
      else if (!known(identity.managerId))
        errors.push({ line, message: `manager ${identity.managerId} of ${identity.id} is not in the import` });
    }
    // A service account nobody answers for is the forgotten non-human identity: refuse it.
    if (identity.kind === 'service') {
      if (identity.owner === undefined)
        errors.push({ line, message: `service account ${identity.id} needs an owner (a responsible person)` });
      else if (!known(identity.owner)) errors.push({ line, message: `owner ${identity.owner} of ${identity.id} is not in the import` });
      else if (identity.owner === identity.id) errors.push({ line, message: `${identity.id} cannot own itself` });
    }
  }

  const groupLine = new Map<string, number>();
  const members = new Map<string, Set<string>>();
  const names = new Map<string, string>();
  for (const { line, group } of groupRows) {
    const earlier = groupLine.get(group.id);
    if (earlier !== undefined) errors.push({ line, message: `duplicate group ${group.id} (first on line ${earlier})` });
    groupLine.set(group.id, earlier ?? line);
    names.set(group.id, group.name);
    for (const member of group.members) {
      if (!known(member)) errors.push({ line, message: `member ${member} of group ${group.id} is not in the import` });
      addMember(members, group.id, member);
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  for (const { identity } of identityRows) for (const group of identity.groups) addMember(members, group, identity.id);
  const groups: Group[] = [...members.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, ids]) => ({ id, name: names.get(id) ?? id, members: [...ids].sort() }));
  for (const id of groupLine.keys()) if (!members.has(id)) groups.push({ id, name: names.get(id) ?? id, members: [] });
  const membership = new Map<string, string[]>();
  for (const group of groups) for (const member of group.members) membership.set(member, [...(membership.get(member) ?? []), group.id]);
  const identities = identityRows.map(({ identity }) => ({ ...identity, groups: (membership.get(identity.id) ?? []).sort() }));
  return { ok: true, identities, groups };
}

function addMember(members: Map<string, Set<string>>, group: string, identity: string): void {
  const set = members.get(group) ?? new Set<string>();
  set.add(identity);
  members.set(group, set);
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isText);
}
