import { parseDuration, SEVEN_DAYS_SECONDS } from './duration';
import type { Resource, TierSettings, TierTable } from './model';
import { approvalWeight } from './tiers';

/** A catalogue or tier table that cannot be evaluated: a broken invariant, not a bad request. */
export class PolicyConfigError extends Error {
  readonly code = 'POLICY.INVALID_CONFIG';
}

export interface EffectiveSettings {
  readonly settings: TierSettings;
  readonly overrideGroup?: string;
}

/**
 * Tier defaults, then the resource's own settings (the default for every group), then the override
 * of one of the requester's groups.
 *
 * When several of the requester's groups carry an override, the MOST RESTRICTIVE one wins, so that
 * joining another group can never loosen a policy someone else tightened. Restrictiveness is
 * compared in this order: more required approvals, shorter maximum duration, shorter approval
 * validity, break-glass disallowed, shorter pending TTL; a full tie goes to the lowest group id
 * (plain code-unit order, independent of locale).
 */
export function effectiveSettings(resource: Resource, tiers: TierTable, requesterGroups: ReadonlySet<string>): EffectiveSettings {
  const tier = tiers[resource.tier];
  if (!tier) throw new PolicyConfigError(`resource ${resource.id}: no settings for tier ${String(resource.tier)}`);
  const base = merge(tier, resource.settings);
  const candidates = Object.entries(resource.groupOverrides ?? {})
    .filter(([group]) => requesterGroups.has(group))
    .map(([group, override]) => ({ overrideGroup: group, settings: merge(base, override) }));
  if (candidates.length === 0) return { settings: base };
  return candidates.reduce((best, next) => (compareStrictness(next, best, resource.id) < 0 ? next : best));
}

/** Negative when `a` is stricter than `b` (so `a` wins). */
function compareStrictness(a: Required<EffectiveSettings>, b: Required<EffectiveSettings>, resourceId: string): number {
  const s = (settings: TierSettings, field: 'maxDuration' | 'approvalValidity' | 'pendingTtl') =>
    configSeconds(settings[field], `resource ${resourceId}: ${field}`);
  const keys: Array<[number, number]> = [
    [-approvalWeight(a.settings.approval), -approvalWeight(b.settings.approval)],
    [Math.min(s(a.settings, 'maxDuration'), SEVEN_DAYS_SECONDS), Math.min(s(b.settings, 'maxDuration'), SEVEN_DAYS_SECONDS)],
    [s(a.settings, 'approvalValidity'), s(b.settings, 'approvalValidity')],
    [Number(a.settings.breakGlass.allowed), Number(b.settings.breakGlass.allowed)],
    [s(a.settings, 'pendingTtl'), s(b.settings, 'pendingTtl')],
  ];
  for (const [x, y] of keys) if (x !== y) return x - y;
  return a.overrideGroup < b.overrideGroup ? -1 : a.overrideGroup > b.overrideGroup ? 1 : 0;
}

export function configSeconds(text: string, where: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined || seconds <= 0) throw new PolicyConfigError(`${where}: not a positive ISO 8601 duration: ${text}`);
  return seconds;
}

function merge(base: TierSettings, patch: Partial<TierSettings> | undefined): TierSettings {
  if (!patch) return base;
  const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  return { ...base, ...defined };
}
