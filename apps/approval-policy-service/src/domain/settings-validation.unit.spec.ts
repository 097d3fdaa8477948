import { defaultTiers } from '@kairos/approval-policy-domain';
import { validateSettings } from './settings-validation';

const fields = (value: unknown, complete = false) => validateSettings(value, 's', complete).map((p) => p.field);

describe('validating tier settings', () => {
  it('accepts every default tier as a complete tier', () => {
    for (const settings of Object.values(defaultTiers())) expect(fields(settings, true)).toEqual([]);
  });

  it('asks a complete tier for every field', () => {
    expect(fields({ maxDuration: 'PT1H' }, true)).toHaveLength(8);
  });

  it('refuses calendar durations, zero and garbage', () => {
    expect(fields({ maxDuration: 'P1M', pendingTtl: 'PT0S', approvalValidity: 'later', durationPresets: ['PT1H', 'P1Y'] })).toEqual([
      's.approvalValidity',
      's.maxDuration',
      's.pendingTtl',
      's.durationPresets',
    ]);
  });

  it.each([
    [{ mode: 'whatever' }],
    [{ mode: 'group', group: 'sec' }],
    [{ mode: 'group', group: 'sec', required: 1.5 }],
    [{ mode: 'named', approvers: [] }],
    [{ mode: 'steps', steps: [] }],
    [{ mode: 'steps', steps: [{ mode: 'steps', steps: [{ mode: 'manager' }] }] }],
  ])('refuses the approval rule %j', (approval) => {
    expect(fields({ approval })).toEqual(['s.approval']);
  });

  it('refuses unknown settings and a malformed break-glass', () => {
    expect(fields({ colour: 'red', breakGlass: { allowed: 'yes', ratifyWithin: 'PT1H', extra: 1 } })).toEqual([
      's.colour',
      's.breakGlass.allowed',
      's.breakGlass',
    ]);
  });
});
