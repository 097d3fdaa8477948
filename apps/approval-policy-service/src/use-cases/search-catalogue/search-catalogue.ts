import { TERMINAL_ITEM_STATUSES, toView, type ItemView } from '@kairos/access-request-domain';
import {
  DirectoryIndex,
  effectiveSettings,
  evaluate,
  mayRequest,
  PolicyConfigError,
  type ApprovalMode,
  type EvaluationProblemCode,
  type Resource,
  type Tier,
} from '@kairos/approval-policy-domain';
import { CONNECTOR_TARGETS } from '@kairos/contracts';
import type { Clock } from '@kairos/clock';
import type { CurrentEvaluationInputs } from '../../domain/evaluation-inputs';
import type { UnfinishedRequests } from './ports';

export interface CatalogueSearch {
  readonly requester: string;
  readonly query?: string;
  readonly tier?: Tier;
  readonly limit: number;
  readonly offset: number;
}

export interface PersonRef {
  readonly id: string;
  readonly displayName: string;
}

export interface CatalogueStep {
  readonly name: string;
  readonly mode: string;
  readonly approvers: PersonRef[];
  readonly required: number;
}

export interface MyAccess {
  readonly requestId: string;
  readonly itemId: string;
  readonly role: string;
  readonly status: ItemView['status'];
  readonly duration: string;
  readonly grantedAt?: string;
  readonly expiresAt?: string;
  readonly pendingExpiresAt?: string;
}

export interface CatalogueEntry {
  readonly id: string;
  readonly name: string;
  readonly tier: Tier;
  readonly connector: Resource['connector'];
  /** A grant of this resource hands the requester short-lived credentials, shown to them once. */
  readonly issuesCredentials: boolean;
  readonly owners: PersonRef[];
  readonly roles: string[];
  readonly durations: { readonly default: string; readonly maximum?: string; readonly presets: string[] };
  readonly justificationRequired: boolean;
  readonly breakGlassAllowed: boolean;
  /** As the policy engine resolves it for the caller now; absent when it cannot (see `problems`). */
  readonly approval?: { readonly required: boolean; readonly mode: ApprovalMode; readonly steps: CatalogueStep[] };
  /** Why the caller could not request this resource now (no eligible approver, a configuration error…). */
  readonly problems: { readonly code: EvaluationProblemCode | 'POLICY_CONFIG_ERROR'; readonly message: string }[];
  readonly myAccess: MyAccess[];
}

export interface CatalogueResult {
  readonly items: CatalogueEntry[];
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  readonly policyVersion: number;
}

/**
 * What a signed-in person may request, and what asking would take: the resources whose
 * `requestableBy` admits them (the rule evaluation enforces), each evaluated for them by the policy
 * engine as a request at this moment would be, with their own unfinished access from this
 * service's copy of requests (folded by the request domain).
 */
export class SearchCatalogue {
  constructor(
    private readonly inputs: CurrentEvaluationInputs,
    private readonly views: UnfinishedRequests,
    private readonly clock: Clock,
  ) {}

  async execute(search: CatalogueSearch): Promise<CatalogueResult> {
    const now = this.clock.now().toISOString();
    const context = await this.inputs.current();
    const index = DirectoryIndex.of(context.directory);
    const groups = index.groupsOf(search.requester);
    const words = (search.query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const matches = context.resources
      .filter((resource) => mayRequest(resource, groups))
      .filter((resource) => search.tier === undefined || resource.tier === search.tier)
      .filter((resource) => {
        const haystack = [resource.id, resource.name, ...resource.allowedRoles].join(' ').toLowerCase();
        return words.every((word) => haystack.includes(word));
      })
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    const page = matches.slice(search.offset, search.offset + search.limit);
    const access = await this.myAccess(search.requester);
    const person = (id: string): PersonRef => ({ id, displayName: index.identity(id)?.displayName ?? id });

    const items = page.map((resource): CatalogueEntry => {
      const base = {
        id: resource.id,
        name: resource.name,
        tier: resource.tier,
        connector: resource.connector,
        issuesCredentials: CONNECTOR_TARGETS[resource.connector]?.issuesCredentials(resource.target) ?? false,
        owners: [...new Set(resource.owners)].map(person),
        roles: [...resource.allowedRoles],
        myAccess: access.get(resource.id) ?? [],
      };
      try {
        const { settings } = effectiveSettings(resource, context.tiers, groups);
        const evaluation = evaluate(
          {
            requester: search.requester,
            // Steps do not depend on the role; the first offered one stands for all.
            items: [{ itemId: resource.id, resourceId: resource.id, role: resource.allowedRoles[0] ?? '' }],
            justification: 'catalogue preview',
            breakGlass: false,
            now,
          },
          context,
        );
        const durations = { default: settings.defaultDuration, presets: [...settings.durationPresets] };
        if (!evaluation.ok) {
          return {
            ...base,
            durations,
            justificationRequired: settings.justificationRequired,
            breakGlassAllowed: false,
            problems: evaluation.problems.map(({ code, message }) => ({ code, message })),
          };
        }
        const { policy, duration } = evaluation.items[0]!;
        return {
          ...base,
          durations: { ...durations, default: duration, maximum: policy.maxDuration },
          justificationRequired: policy.justificationRequired,
          breakGlassAllowed: policy.breakGlass.allowed,
          approval: {
            required: policy.steps.length > 0,
            mode: policy.mode,
            steps: policy.steps.map((step) => ({
              name: step.name,
              mode: step.mode,
              approvers: step.approvers.map(person),
              required: step.required,
            })),
          },
          problems: [],
        };
      } catch (error) {
        if (!(error instanceof PolicyConfigError)) throw error;
        return {
          ...base,
          durations: { default: '', presets: [] },
          justificationRequired: true,
          breakGlassAllowed: false,
          problems: [{ code: 'POLICY_CONFIG_ERROR', message: error.message }],
        };
      }
    });
    return { items, total: matches.length, limit: search.limit, offset: search.offset, policyVersion: context.policyVersion };
  }

  private async myAccess(requester: string): Promise<Map<string, MyAccess[]>> {
    const byResource = new Map<string, MyAccess[]>();
    for (const request of await this.views.unfinished(requester, TERMINAL_ITEM_STATUSES)) {
      const view = toView(request);
      for (const item of view?.items ?? []) {
        if (item.terminal) continue;
        const entry: MyAccess = {
          requestId: request.requestId,
          itemId: item.itemId,
          role: item.role,
          status: item.status,
          duration: item.duration,
          ...(item.grantedAt ? { grantedAt: item.grantedAt } : {}),
          ...(item.expiresAt ? { expiresAt: item.expiresAt } : {}),
          ...(item.pendingExpiresAt ? { pendingExpiresAt: item.pendingExpiresAt } : {}),
        };
        byResource.set(item.resourceId, [...(byResource.get(item.resourceId) ?? []), entry]);
      }
    }
    return byResource;
  }
}
