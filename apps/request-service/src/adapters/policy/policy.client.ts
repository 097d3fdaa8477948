import { Inject, Injectable } from '@nestjs/common';
import { httpCall, type HttpAnswer } from '@kairos/http';
import { refuse, Refusal } from '@kairos/refusal';
import { currentCorrelationId, SpanKind, traceHeaders, withSpan } from '@kairos/observability';
import type { EvaluatedItem, EvaluationRequest, PolicyEvaluation, PolicyEvaluator } from '../../use-cases/submit-request/ports';

/** Tolerant: an answer without `requester.groups` (an older policy service) is still a good answer. */
function requesterGroupsIn(requester: unknown): string[] | undefined {
  const groups = (requester as { groups?: unknown } | undefined)?.groups;
  return Array.isArray(groups) && groups.every((group) => typeof group === 'string') ? groups : undefined;
}

export const POLICY_URL = Symbol('POLICY_URL');

/**
 * Policy is evaluated synchronously at submission, so a request that policy refuses gets a 4xx
 * and nothing is appended. The caller's own token is forwarded: the policy service authenticates
 * the same person the request service did.
 */
@Injectable()
export class PolicyClient implements PolicyEvaluator {
  constructor(@Inject(POLICY_URL) private readonly baseUrl: string) {}

  async evaluate(request: EvaluationRequest, bearerToken: string): Promise<PolicyEvaluation> {
    // A client span; the policy service continues its trace from the traceparent header.
    const attributes = { 'http.request.method': 'POST', 'url.full': `${this.baseUrl}/v1/policy/evaluations` };
    return withSpan('POST /v1/policy/evaluations', { kind: SpanKind.CLIENT, attributes }, async (span) => {
      let response: HttpAnswer;
      try {
        // node:http, not fetch: fetch's WebAssembly parser cost ~40 MB of RSS and twice the CPU (issue 17).
        response = await httpCall(`${this.baseUrl}/v1/policy/evaluations`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${bearerToken}`,
            'x-correlation-id': currentCorrelationId() ?? '',
            ...traceHeaders(),
          },
          body: JSON.stringify(request),
          timeoutMs: 5_000,
        });
      } catch (error) {
        throw refuse.unavailable('POLICY_UNAVAILABLE', `the approval policy service could not be reached: ${(error as Error).message}`);
      }
      span.setAttribute('http.response.status_code', response.status);
      return this.answer(response);
    });
  }

  private async answer(response: HttpAnswer): Promise<PolicyEvaluation> {
    const body = (await response.json().catch(() => ({}))) as { items?: EvaluatedItem[]; requester?: unknown; problems?: unknown; detail?: string };
    if (response.ok && Array.isArray(body.items)) {
      const requesterGroups = requesterGroupsIn(body.requester);
      return { items: body.items, ...(requesterGroups ? { requesterGroups } : {}) };
    }
    if (response.status === 422 || response.status === 400) {
      throw refuse.unprocessable('REQUEST_REFUSED_BY_POLICY', body.detail ?? 'policy refuses this request', { problems: body.problems ?? [] });
    }
    if (response.status === 401 || response.status === 403) {
      const detail = `the approval policy service refused the caller${body.detail ? `: ${body.detail}` : ''}`;
      throw response.status === 401 ? new Refusal('unauthenticated', 'UNAUTHENTICATED', detail) : refuse.forbidden('FORBIDDEN', detail);
    }
    // The policy service down, restarting or without its database: a client should retry, not report a bug.
    if (response.status >= 500) {
      throw refuse.unavailable('POLICY_UNAVAILABLE', `the approval policy service answered ${response.status}; retry shortly`);
    }
    throw refuse.upstreamFailed('POLICY_FAILED', `the approval policy service answered ${response.status}`);
  }
}
