import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { accessRequestEventCatalogue } from './access-request-events.catalogue';
import type { AccessRevoked, ReviewRecorded } from './access-request-events';
import { arrayOf, bool, instant, int, intOf, obj, oneOf, str, type Infer } from './json-schema';

/** Compiles only when A and B are the same type (checked by `npm run typecheck`, which includes specs). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(proof: Same<A, B>): Same<A, B> => proof;

describe('a contract written once, as a schema', () => {
  const example = obj({
    id: str(),
    'note?': str('optional'),
    kind: oneOf(['a', 'b']),
    tier: intOf([0, 1, 2]),
    count: int(1),
    flags: arrayOf(bool()),
    at: instant(),
  });

  it('infers the type the schema accepts: required, optional, enums, arrays, all read-only', () => {
    type Example = Infer<typeof example>;
    expect(
      same<
        Example,
        {
          readonly id: string;
          readonly note?: string;
          readonly kind: 'a' | 'b';
          readonly tier: 0 | 1 | 2;
          readonly count: number;
          readonly flags: readonly boolean[];
          readonly at: string;
        }
      >(true),
    ).toBe(true);
  });

  it('writes the optional marker into the schema, not into the property name', () => {
    expect(example).toMatchObject({
      type: 'object',
      properties: { note: { type: 'string', description: 'optional' } },
      required: ['id', 'kind', 'tier', 'count', 'flags', 'at'],
    });
    expect(Object.keys(example.properties as object)).not.toContain('note?');
  });

  it('accepts and refuses at run time exactly what the inferred type describes', () => {
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    const valid = ajv.compile(example);
    expect(valid({ id: 'x', kind: 'a', tier: 2, count: 1, flags: [true], at: '2026-12-01T00:00:00Z' })).toBe(true);
    expect(valid({ id: 'x', kind: 'c', tier: 2, count: 1, flags: [], at: '2026-12-01T00:00:00Z' })).toBe(false);
    expect(valid({ id: 'x', kind: 'a', tier: 3, count: 1, flags: [], at: '2026-12-01T00:00:00Z' })).toBe(false);
    expect(valid({ kind: 'a', tier: 0, count: 1, flags: [], at: '2026-12-01T00:00:00Z' })).toBe(false);
  });

  it('gives the request-stream events the types of their catalogue schemas', () => {
    expect(same<ReviewRecorded['data']['decision'], 'approve' | 'deny'>(true)).toBe(true);
    expect(same<AccessRevoked['data']['retainedBy'], readonly string[] | undefined>(true)).toBe(true);
    expect(accessRequestEventCatalogue.AccessRevoked.schema.required).toContain('verified');
  });
});
