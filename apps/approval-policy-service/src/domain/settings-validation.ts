import { parseDuration } from '@kairos/approval-policy-domain';

export interface FieldProblem {
  readonly field: string;
  readonly messages: string[];
}

const DURATION_FIELDS = ['approvalValidity', 'defaultDuration', 'maxDuration', 'pendingTtl'] as const;
const BOOLEAN_FIELDS = ['justificationRequired', 'extensionRequiresApproval'] as const;
// Optional everywhere, even in a complete tier: separation of duties is on unless set to false,
// and without a fallback group the resource owners stand in for a missing manager.
const OPTIONAL_BOOLEAN_FIELDS = ['separationOfDuties'] as const;
const REQUIRED_FIELDS = new Set<string>([...DURATION_FIELDS, ...BOOLEAN_FIELDS, 'approval', 'durationPresets', 'breakGlass']);
const KNOWN_FIELDS = new Set<string>([...REQUIRED_FIELDS, ...OPTIONAL_BOOLEAN_FIELDS, 'fallbackGroup']);
const SINGLE_MODES = ['automatic', 'manager', 'resource_owner', 'named', 'group'];

/**
 * Checks tier settings as stored in the catalogue: a whole tier (`complete`) or the partial
 * settings of a resource or group override. A catalogue the engine cannot read would fail every
 * request for that resource, so it is refused when written.
 */
export function validateSettings(value: unknown, path: string, complete: boolean): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field: `${path}.${field}`, messages: [message] });
  if (!isRecord(value)) return [{ field: path, messages: [`${path} must be an object`] }];

  for (const key of Object.keys(value)) if (!KNOWN_FIELDS.has(key)) add(key, `unknown setting ${key}`);
  if (complete) for (const key of REQUIRED_FIELDS) if (value[key] === undefined) add(key, `${key} is required`);

  for (const field of DURATION_FIELDS) {
    if (value[field] !== undefined && !isPositiveDuration(value[field]))
      add(field, `${field} must be a positive ISO 8601 duration (W, D, H, M, S)`);
  }
  for (const field of [...BOOLEAN_FIELDS, ...OPTIONAL_BOOLEAN_FIELDS]) {
    if (value[field] !== undefined && typeof value[field] !== 'boolean') add(field, `${field} must be true or false`);
  }
  if (value['fallbackGroup'] !== undefined && !isText(value['fallbackGroup'])) add('fallbackGroup', 'fallbackGroup must be a group id');
  const presets = value['durationPresets'];
  if (presets !== undefined && (!Array.isArray(presets) || !presets.every(isPositiveDuration))) {
    add('durationPresets', 'durationPresets must be an array of positive ISO 8601 durations');
  }
  if (value['approval'] !== undefined) for (const message of approvalProblems(value['approval'])) add('approval', message);
  if (value['breakGlass'] !== undefined) {
    const breakGlass = value['breakGlass'];
    if (!isRecord(breakGlass)) add('breakGlass', 'breakGlass must be an object');
    else {
      if (typeof breakGlass['allowed'] !== 'boolean') add('breakGlass.allowed', 'allowed must be true or false');
      if (!isPositiveDuration(breakGlass['ratifyWithin']))
        add('breakGlass.ratifyWithin', 'ratifyWithin must be a positive ISO 8601 duration');
      if (breakGlass['ratifierGroup'] !== undefined && !isText(breakGlass['ratifierGroup'])) {
        add('breakGlass.ratifierGroup', 'ratifierGroup must be a group id');
      }
      const extra = Object.keys(breakGlass).filter((key) => !['allowed', 'ratifyWithin', 'ratifierGroup'].includes(key));
      if (extra.length > 0) add('breakGlass', `unknown field(s): ${extra.join(', ')}`);
    }
  }
  return problems;
}

function approvalProblems(rule: unknown): string[] {
  if (!isRecord(rule)) return ['approval must be an object with a mode'];
  if (rule['mode'] === 'steps') {
    const steps = rule['steps'];
    if (!Array.isArray(steps) || steps.length === 0) return ['a steps rule needs a non-empty steps array'];
    return steps.flatMap((step, index) => {
      if (isRecord(step) && step['mode'] === 'steps') return [`step ${index}: a step cannot itself be a chain`];
      return singleRuleProblems(step).map((message) => `step ${index}: ${message}`);
    });
  }
  return singleRuleProblems(rule);
}

function singleRuleProblems(rule: unknown): string[] {
  if (!isRecord(rule) || typeof rule['mode'] !== 'string' || !SINGLE_MODES.includes(rule['mode'])) {
    return [`mode must be one of ${[...SINGLE_MODES, 'steps'].join(', ')}`];
  }
  const problems: string[] = [];
  const required = rule['required'];
  const requiredOk = required === undefined || (Number.isInteger(required) && (required as number) >= 1);
  switch (rule['mode']) {
    case 'named':
      if (!Array.isArray(rule['approvers']) || rule['approvers'].length === 0 || !rule['approvers'].every(isText)) {
        problems.push('a named rule needs a non-empty approvers array of identity ids');
      }
      if (!requiredOk) problems.push('required must be a whole number, at least 1');
      break;
    case 'group':
      if (!isText(rule['group'])) problems.push('a group rule needs a group id');
      if (required === undefined || !requiredOk) problems.push('a group rule needs required, a whole number, at least 1');
      break;
    default:
      break;
  }
  return problems;
}

function isPositiveDuration(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const seconds = parseDuration(value);
  return seconds !== undefined && seconds > 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
