import { pickReusableApproval } from '@kairos/access-request-domain';
import { DirectoryIndex } from './directory';
import { parseDuration, SEVEN_DAYS_SECONDS, formatDuration } from './duration';
import type {
  ApprovalStepSnapshot,
  Directory,
  Identity,
  ItemPolicySnapshot,
  PriorApproval,
  Resource,
  SingleApprovalRule,
  TierTable,
} from './model';
import { configSeconds, effectiveSettings, PolicyConfigError } from './settings';
import { assertNever } from './tiers';

export const EVALUATION_PROBLEM_CODES = [
  'UNKNOWN_REQUESTER',
  'INACTIVE_REQUESTER',
  'NO_ITEMS',
  'DUPLICATE_ITEM',
  'UNKNOWN_RESOURCE',
  'ROLE_NOT_ALLOWED',
  'DURATION_INVALID',
  'DURATION_OVER_MAXIMUM',
  'JUSTIFICATION_REQUIRED',
  'BREAK_GLASS_NOT_ALLOWED',
  'NO_ELIGIBLE_APPROVER',
  'NOT_ALLOWED_TO_REQUEST',
] as const;
export type EvaluationProblemCode = (typeof EVALUATION_PROBLEM_CODES)[number];

/**
 * Who may ask for a resource at all: members of one of its `requestableBy` groups, or everyone
 * when it names none. The catalogue shows a requester only what this allows, and evaluation
 * refuses the rest, so the two cannot disagree.
 */
export function mayRequest(resource: Pick<Resource, 'requestableBy'>, requesterGroups: ReadonlySet<string>): boolean {
  const groups = resource.requestableBy ?? [];
  return groups.length === 0 || groups.some((group) => requesterGroups.has(group));
}

export interface EvaluationProblem {
  readonly itemId?: string;
  readonly code: EvaluationProblemCode;
  readonly message: string;
}

export interface RequestedItem {
  readonly itemId: string;
  readonly resourceId: string;
  readonly role: string;
}

export interface EvaluationInput {
  readonly requester: string;
  readonly items: readonly RequestedItem[];
  /** ISO 8601 duration; when absent each item gets its tier's default duration. */
  readonly duration?: string;
  readonly justification?: string;
  readonly breakGlass?: boolean;
  /** ISO 8601 instant: the submission time, from the caller's clock. */
  readonly now: string;
}

export interface PolicyContext {
  readonly resources: readonly Resource[];
  readonly tiers: TierTable;
  readonly directory: Directory;
  readonly policyVersion: number;
  readonly priorApprovals?: readonly PriorApproval[];
}

export interface EvaluatedItem {
  readonly itemId: string;
  /** The access duration this item will be granted for (the request's, or the tier default). */
  readonly duration: string;
  readonly policy: ItemPolicySnapshot;
}

export type Evaluation =
  { readonly ok: true; readonly items: readonly EvaluatedItem[] } | { readonly ok: false; readonly problems: readonly EvaluationProblem[] };

/**
 * Decides, at submission, what each item of a request needs: which tier and override apply, who
 * exactly may approve each step, and the limits on duration. Every problem with every item is
 * reported at once so the API can answer one 4xx that says all that is wrong.
 */
export function evaluate(input: EvaluationInput, ctx: PolicyContext): Evaluation {
  const directory = DirectoryIndex.of(ctx.directory);
  const requester = directory.identity(input.requester);
  if (!requester) return refuse({ code: 'UNKNOWN_REQUESTER', message: `no identity ${input.requester} in the directory` });
  if (!requester.active) return refuse({ code: 'INACTIVE_REQUESTER', message: `identity ${requester.id} is not active` });
  if (input.items.length === 0) return refuse({ code: 'NO_ITEMS', message: 'a request needs at least one item' });

  const now = Date.parse(input.now);
  if (Number.isNaN(now)) throw new RangeError(`evaluate: now is not an instant: ${input.now}`);

  const resources = new Map(ctx.resources.map((resource) => [resource.id, resource]));
  const seen = new Set<string>();
  const problems: EvaluationProblem[] = [];
  const items: EvaluatedItem[] = [];

  for (const item of input.items) {
    if (seen.has(item.itemId)) {
      problems.push({ itemId: item.itemId, code: 'DUPLICATE_ITEM', message: `item ${item.itemId} appears twice` });
      continue;
    }
    seen.add(item.itemId);
    const result = evaluateItem(item, { input, ctx, directory, requester, resources, now });
    if ('problems' in result) problems.push(...result.problems);
    else items.push(result);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, items };
}

interface ItemScope {
  readonly input: EvaluationInput;
  readonly ctx: PolicyContext;
  readonly directory: DirectoryIndex;
  readonly requester: Identity;
  readonly resources: ReadonlyMap<string, Resource>;
  readonly now: number;
}

function evaluateItem(item: RequestedItem, scope: ItemScope): EvaluatedItem | { problems: EvaluationProblem[] } {
  const { input, ctx, directory, requester } = scope;
  const problems: EvaluationProblem[] = [];
  const problem = (code: EvaluationProblemCode, message: string) => problems.push({ itemId: item.itemId, code, message });

  const resource = scope.resources.get(item.resourceId);
  if (!resource) {
    problem('UNKNOWN_RESOURCE', `no resource ${item.resourceId} in the catalogue`);
    return { problems };
  }
  // Nothing more about the resource (roles, limits, approvers) is told to someone who may not ask for it.
  if (!mayRequest(resource, directory.groupsOf(requester.id))) {
    problem('NOT_ALLOWED_TO_REQUEST', `${requester.id} is in none of the groups that may request ${resource.name}`);
    return { problems };
  }
  if (!resource.allowedRoles.includes(item.role)) {
    problem('ROLE_NOT_ALLOWED', `role ${item.role} is not offered on ${resource.name} (allowed: ${resource.allowedRoles.join(', ')})`);
  }

  const { settings, overrideGroup } = effectiveSettings(resource, ctx.tiers, directory.groupsOf(requester.id));
  const where = `resource ${resource.id}`;
  const maxSeconds = Math.min(configSeconds(settings.maxDuration, `${where}: maxDuration`), SEVEN_DAYS_SECONDS);
  const maxDuration = formatDuration(maxSeconds);

  const duration = input.duration ?? settings.defaultDuration;
  const durationSeconds = parseDuration(duration);
  if (durationSeconds === undefined || durationSeconds <= 0) {
    problem('DURATION_INVALID', `${duration} is not a positive ISO 8601 duration in weeks, days, hours, minutes or seconds`);
  } else if (durationSeconds > maxSeconds) {
    problem('DURATION_OVER_MAXIMUM', `${duration} is longer than the ${maxDuration} allowed on ${resource.name}`);
  }

  if (settings.justificationRequired && (input.justification ?? '').trim() === '') {
    problem('JUSTIFICATION_REQUIRED', `a reason is required to access ${resource.name}`);
  }

  // Both the tier (or override) and the resource itself must agree before anyone may skip approval.
  const breakGlassAllowed = settings.breakGlass.allowed && resource.breakGlassAllowed === true;
  if (input.breakGlass && !breakGlassAllowed) {
    problem('BREAK_GLASS_NOT_ALLOWED', `break-glass is not allowed on ${resource.name}`);
  }

  const eligible = (id: string | undefined): id is string => isEligibleApprover(directory.identity(id ?? ''), requester);
  const ratifiers = breakGlassAllowed
    ? settings.breakGlass.ratifierGroup
      ? directory.membersOf(settings.breakGlass.ratifierGroup).filter(eligible)
      : [...new Set(resource.owners)].filter(eligible).sort()
    : [];
  if (input.breakGlass && breakGlassAllowed && ratifiers.length === 0) {
    problem('NO_ELIGIBLE_APPROVER', `nobody other than the requester can ratify break-glass on ${resource.name}`);
  }

  // Steps are resolved even when an earlier approval is reused: the snapshot says what people
  // would have to decide, and the request decider falls back to them if the reuse no longer holds.
  const steps: ApprovalStepSnapshot[] = [];
  const rules = settings.approval.mode === 'steps' ? settings.approval.steps : [settings.approval];
  for (const rule of rules) {
    const step = resolveStep(rule, { resource, requester, directory, eligible, fallbackGroup: settings.fallbackGroup });
    if (step === undefined) continue;
    if ('problem' in step) problem('NO_ELIGIBLE_APPROVER', step.problem);
    else steps.push(step);
  }
  const reuse = pickReusableApproval(
    scope.ctx.priorApprovals ?? [],
    { identityId: requester.id, resourceId: item.resourceId, role: item.role, duration },
    input.now,
  );

  if (problems.length > 0) return { problems };
  const mode = steps.length === 0 ? 'automatic' : settings.approval.mode;
  return {
    itemId: item.itemId,
    duration,
    policy: {
      policyId: overrideGroup ? `${resource.id}/tier-${resource.tier}/group-${overrideGroup}` : `${resource.id}/tier-${resource.tier}`,
      policyVersion: ctx.policyVersion,
      tier: resource.tier,
      ...(overrideGroup ? { overrideGroup } : {}),
      mode,
      steps,
      approvalValidity: settings.approvalValidity,
      maxDuration,
      pendingTtl: settings.pendingTtl,
      justificationRequired: settings.justificationRequired,
      extensionRequiresApproval: settings.extensionRequiresApproval,
      breakGlass: { allowed: breakGlassAllowed, ratifyWithin: settings.breakGlass.ratifyWithin, ratifiers },
      ...(settings.separationOfDuties === false ? { separationOfDuties: false } : {}),
      fulfillers: [...new Set(resource.owners)].filter(eligible).sort(),
      ...(reuse && steps.length > 0
        ? {
            reusesApproval: {
              requestId: reuse.requestId,
              itemId: reuse.itemId,
              approvalExpiresAt: reuse.approvalExpiresAt,
              approvedDuration: reuse.approvedDuration,
            },
          }
        : {}),
      target: { connector: resource.connector, target: resource.target },
    },
  };
}

/**
 * Approvers are people: an active person who is not the requester. Service accounts never
 * approve, so a bot cannot wave through another bot (or its own owner).
 */
function isEligibleApprover(identity: Identity | undefined, requester: Identity): boolean {
  return identity !== undefined && identity.active && identity.kind === 'person' && identity.id !== requester.id;
}

interface StepScope {
  readonly resource: Resource;
  readonly requester: Identity;
  readonly directory: DirectoryIndex;
  readonly eligible: (id: string | undefined) => id is string;
  readonly fallbackGroup: string | undefined;
}

/**
 * Who approves a manager or resource-owner step nobody can fill as configured: the tier's fallback
 * group, else (for a missing manager) the resource owners. Recorded on the step, so the evidence
 * says why these people were asked.
 */
function fallbackStep(
  replaces: 'manager' | 'resource_owner',
  reason: string,
  scope: StepScope,
): ApprovalStepSnapshot | { problem: string } {
  const { resource, directory, eligible, fallbackGroup } = scope;
  if (fallbackGroup) {
    const approvers = directory.membersOf(fallbackGroup).filter(eligible);
    const name = directory.group(fallbackGroup)?.name ?? fallbackGroup;
    if (approvers.length > 0) {
      return { name: `${name} (fallback)`, mode: replaces, approvers, required: 1, fallback: { replaces, source: `group:${fallbackGroup}`, reason } };
    }
  }
  if (replaces === 'manager') {
    const owners = [...new Set(resource.owners)].filter(eligible).sort();
    if (owners.length > 0) {
      return { name: 'resource owners (fallback)', mode: replaces, approvers: owners, required: 1, fallback: { replaces, source: 'resource owners', reason } };
    }
  }
  return { problem: `${reason}, and no fallback approver other than the requester is available` };
}

function resolveStep(rule: SingleApprovalRule, scope: StepScope): ApprovalStepSnapshot | { problem: string } | undefined {
  const { resource, requester, directory, eligible } = scope;
  switch (rule.mode) {
    case 'automatic':
      return undefined;
    case 'manager': {
      // A service account's responsible person stands in for its manager.
      const managerId = requester.kind === 'service' ? requester.owner : requester.managerId;
      if (!eligible(managerId)) {
        return fallbackStep(
          'manager',
          `${requester.displayName} has no active ${requester.kind === 'service' ? 'owner' : 'manager'} who could approve ${resource.name}`,
          scope,
        );
      }
      return { name: 'manager', mode: 'manager', approvers: [managerId], required: 1 };
    }
    case 'resource_owner': {
      const owners = [...new Set(resource.owners)].filter(eligible).sort();
      if (owners.length === 0) return fallbackStep('resource_owner', `${resource.name} has no owner other than the requester who could approve`, scope);
      return { name: 'resource owners', mode: 'resource_owner', approvers: owners, required: 1 };
    }
    case 'named': {
      const required = requiredCount(rule.required ?? 1, resource);
      const approvers = [...new Set(rule.approvers)].filter(eligible).sort();
      return counted(`named approvers (${required} of ${approvers.length})`, 'named', approvers, required, resource);
    }
    case 'group': {
      const required = requiredCount(rule.required, resource);
      const approvers = directory.membersOf(rule.group).filter(eligible);
      const name = directory.group(rule.group)?.name ?? rule.group;
      return counted(`${name} (${required} of ${approvers.length})`, 'group', approvers, required, resource);
    }
    default:
      return assertNever(rule);
  }
}

function counted(
  name: string,
  mode: 'named' | 'group',
  approvers: readonly string[],
  required: number,
  resource: Resource,
): ApprovalStepSnapshot | { problem: string } {
  if (approvers.length < required) {
    return {
      problem: `${resource.name} needs ${required} approvals from ${name.replace(/ \(.*$/, '')} but only ${approvers.length} people other than the requester can give one`,
    };
  }
  return { name, mode, approvers, required };
}

function requiredCount(required: number, resource: Resource): number {
  if (!Number.isInteger(required) || required < 1) {
    throw new PolicyConfigError(
      `resource ${resource.id}: an approval rule must require a whole number of approvals, at least 1 (got ${required})`,
    );
  }
  return required;
}

function refuse(problem: EvaluationProblem): Evaluation {
  return { ok: false, problems: [problem] };
}
