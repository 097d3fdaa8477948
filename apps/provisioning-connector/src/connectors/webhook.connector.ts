import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock';
import type { JobAction, TargetState } from '../domain/job';
import { sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../domain/signature';
import { ConnectorNotConfiguredError, redactUrl, type Connector, type ConnectorHealth, type GrantSpec } from './connector';

export interface WebhookSettings {
  readonly url?: string;
  readonly secret?: string;
  readonly timeoutMs: number;
}

/**
 * POSTs signed JSON to one configured URL. The receiver answers every call with
 * `{"state":"present"|"absent"}`: the state of the access after the call. Verification is a
 * separate signed call with `action: "verify"`, so a grant is never taken on the grant call's word.
 */
export class WebhookConnector implements Connector {
  readonly name = 'webhook' as const;
  readonly configured: boolean;

  constructor(
    private readonly settings: WebhookSettings,
    private readonly clock: Clock,
  ) {
    this.configured = Boolean(settings.url);
  }

  async grant(spec: GrantSpec): Promise<string> {
    return (await this.call('grant', spec)).evidence;
  }

  async revoke(spec: GrantSpec): Promise<string> {
    return (await this.call('revoke', spec)).evidence;
  }

  async verify(spec: GrantSpec): Promise<TargetState> {
    return (await this.call('verify', spec)).state;
  }

  async health(): Promise<ConnectorHealth> {
    const problem = this.misconfiguration();
    return problem ? { healthy: false, reason: problem } : { healthy: true };
  }

  async close(): Promise<void> {}

  private misconfiguration(): string | undefined {
    if (!this.settings.url) return 'WEBHOOK_URL is not set';
    if (!this.settings.secret) return 'no webhook secret (WEBHOOK_SECRET or WEBHOOK_SECRET_FILE)';
    return undefined;
  }

  private async call(action: JobAction | 'verify', spec: GrantSpec): Promise<{ state: TargetState; evidence: string }> {
    const problem = this.misconfiguration();
    if (problem) throw new ConnectorNotConfiguredError('webhook', problem);
    const url = this.settings.url!;
    const body = JSON.stringify({
      deliveryId: randomUUID(),
      action,
      requestId: spec.requestId,
      itemId: spec.itemId,
      grantId: spec.grantId,
      subject: spec.subject,
      target: spec.target,
    });
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: sign(this.settings.secret!, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
    } catch (error) {
      throw new Error(`webhook ${redactUrl(url)} unreachable: ${error instanceof Error ? error.message : String(error)}`);
    }
    const answer = { status: response.status, body: (await response.text()).slice(0, 2_000) };
    if (response.status < 200 || response.status > 299) throw new Error(`webhook answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    return { state: parseState(answer.body), evidence: `HTTP ${answer.status} ${answer.body}` };
  }
}

function parseState(body: string): TargetState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('webhook answer is not JSON');
  }
  const state = (parsed as { state?: unknown } | null)?.state;
  if (state !== 'present' && state !== 'absent') throw new Error('webhook answer has no state "present" or "absent"');
  return state;
}
