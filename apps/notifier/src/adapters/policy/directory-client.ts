import { httpCall, type HttpAnswer } from '@kairos/http';
import { DirectoryUnavailableError, type Contact, type Directory, type RelayResult } from '../../domain/directory';

/**
 * The approval-policy service, called with the notifier's own service token (ADR 0017): contacts
 * from its directory, and a person's chat review relayed to be judged by its rules.
 */
export class DirectoryClient implements Directory {
  constructor(
    private readonly baseUrl: string,
    private readonly token: () => string,
  ) {}

  private async call(method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
    try {
      // node:http, not fetch: fetch's WebAssembly parser cost ~40 MB of RSS and twice the CPU (issue 17).
      return await httpCall(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token()}`, 'content-type': 'application/json', ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        timeoutMs: 10_000,
      });
    } catch (error) {
      throw new DirectoryUnavailableError(`approval-policy service unreachable: ${(error as Error).name}`);
    }
  }

  private async contacts(query: Record<string, string>): Promise<Contact[]> {
    const res = await this.call('GET', `/v1/notifier/contacts?${new URLSearchParams(query).toString()}`);
    if (!res.ok) throw new DirectoryUnavailableError(`contacts answered HTTP ${res.status}`);
    return ((await res.json()) as { items: Contact[] }).items;
  }

  async byIds(ids: readonly string[]): Promise<Contact[]> {
    const out: Contact[] = [];
    for (let i = 0; i < ids.length; i += 100) out.push(...(await this.contacts({ ids: ids.slice(i, i + 100).join(',') })));
    return out;
  }

  bySlackUser(slackUserId: string): Promise<Contact[]> {
    return this.contacts({ slackUserId });
  }

  byGroup(group: string): Promise<Contact[]> {
    return this.contacts({ group });
  }

  async relayReview(review: { requestId: string; itemId: string; reviewerId: string; decision: 'approve' | 'deny'; comment: string }): Promise<RelayResult> {
    const res = await this.call('POST', `/v1/notifier/access-requests/${encodeURIComponent(review.requestId)}/reviews`, {
      headers: { 'x-kairos-reviewer': review.reviewerId },
      body: { itemId: review.itemId, decision: review.decision, comment: review.comment },
    });
    const body = (await res.json().catch(() => ({}))) as { reviewId?: string; code?: string; detail?: string };
    if (res.status === 202) return { ok: true, reviewId: body.reviewId ?? '' };
    if (res.status >= 500) throw new DirectoryUnavailableError(`review relay answered HTTP ${res.status}`);
    return { ok: false, status: res.status, code: body.code ?? 'REFUSED', detail: body.detail ?? '' };
  }
}
