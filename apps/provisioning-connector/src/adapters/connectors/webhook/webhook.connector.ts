import { CONNECTOR_TARGETS } from '@kairos/contracts';
import { randomUUID } from 'node:crypto';
import { redactSecrets, traceHeaders } from '@kairos/observability';
import type { Clock } from '@kairos/clock';
import type { JobAction, TargetState } from '../../../domain/job';
import { sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../../domain/signature';
import { ConnectorNotConfiguredError, GrantRefusedError, type Connector, type ConnectorHealth, type GrantSpec } from '../../../domain/connector';

export interface WebhookSettings {
  readonly url?: string;
  readonly secret?: string;
  readonly timeoutMs: number;
}

/** The JSON body of every webhook call (documented in docs/connectors/webhook.md). */
export interface WebhookPayload {
  readonly deliveryId: string;
  readonly action: JobAction | 'verify';
  /** The action a `verify` call checks: the state after it must be present (grant) or absent (revoke). */
  readonly for?: JobAction;
  readonly requestId: string;
  /** Path of the request in the request-service API (prefix it with the request service's base URL). */
  readonly requestPath: string;
  readonly itemId: string;
  readonly grantId: string;
  readonly subject: { readonly id: string; readonly kind: string };
  readonly resourceId: string;
  readonly role: string;
  readonly target: string;
  readonly duration: string | null;
  readonly expiresAt: string | null;
  readonly breakGlass: boolean;
  readonly justification: string | null;
  readonly ticket: string | null;
  readonly revocationReason: string | null;
  readonly revocationRequestedBy: string | null;
}

export function webhookPayload(action: JobAction | 'verify', spec: GrantSpec, deliveryId: string = randomUUID()): WebhookPayload {
  return {
    deliveryId,
    action,
    ...(action === 'verify' ? { for: spec.action } : {}),
    requestId: spec.requestId,
    requestPath: `/v1/access-requests/${encodeURIComponent(spec.requestId)}`,
    itemId: spec.itemId,
    grantId: spec.grantId,
    subject: { id: spec.subject.id, kind: spec.subject.kind },
    resourceId: spec.resourceId,
    role: spec.role,
    target: spec.target,
    duration: spec.duration ?? null,
    expiresAt: spec.expiresAt ?? null,
    breakGlass: spec.breakGlass ?? false,
    justification: spec.justification ?? null,
    ticket: spec.ticket ?? null,
    revocationReason: spec.revocationReason ?? null,
    revocationRequestedBy: spec.revocationRequestedBy ?? null,
  };
}

/**
 * POSTs signed JSON to one configured URL. The receiver answers every call with
 * `{"state":"present"|"absent"}`: the state of exactly this access (subject + role in target)
 * after the call. Verification is a separate signed call with `action: "verify"`, so a grant is
 * never taken on the grant call's word.
 *
 * Credentials in the URL's userinfo are sent as HTTP Basic authorization, never in the URL, and
 * nothing of the URL (host, path, query) ever appears in an error: errors reach events.
 */
export class WebhookConnector implements Connector {
  readonly name = 'webhook' as const;
  readonly configured: boolean;
  private readonly endpoint?: { readonly url: string; readonly authorization?: string };

  constructor(
    private readonly settings: WebhookSettings,
    private readonly clock: Clock,
  ) {
    this.configured = Boolean(settings.url);
    this.endpoint = settings.url ? parseEndpoint(settings.url) : undefined;
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

  /** A real, cheap call: a signed `{"action":"health"}` the receiver answers with any 2xx. */
  async health(): Promise<ConnectorHealth> {
    const problem = this.misconfiguration();
    if (problem) return { healthy: false, reason: problem };
    try {
      await this.post('health', JSON.stringify({ deliveryId: randomUUID(), action: 'health' }));
      return { healthy: true };
    } catch (error) {
      return { healthy: false, reason: (error as Error).message };
    }
  }

  async close(): Promise<void> {}

  private misconfiguration(): string | undefined {
    if (!this.settings.url) return 'WEBHOOK_URL is not set';
    if (!this.endpoint) return 'WEBHOOK_URL is not an http(s) URL';
    if (!this.settings.secret) return 'no webhook secret (WEBHOOK_SECRET or WEBHOOK_SECRET_FILE)';
    return undefined;
  }

  private async call(action: JobAction | 'verify', spec: GrantSpec): Promise<{ state: TargetState; evidence: string }> {
    const problem = this.misconfiguration();
    if (problem) throw new ConnectorNotConfiguredError('webhook', problem);
    const refused = webhookTargetProblem(spec.target);
    if (refused) throw new GrantRefusedError(refused);
    const answer = await this.post(action, JSON.stringify(webhookPayload(action, spec)));
    return { state: parseState(answer.body), evidence: `HTTP ${answer.status} ${answer.body}` };
  }

  private async post(action: string, body: string): Promise<{ status: number; body: string }> {
    const endpoint = this.endpoint!;
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    let response: Response;
    try {
      response = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: sign(this.settings.secret!, timestamp, body),
          ...(endpoint.authorization ? { authorization: endpoint.authorization } : {}),
          // The target may continue the trace (not covered by the signature: it only links spans).
          ...traceHeaders(),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
    } catch (error) {
      throw new Error(`webhook ${action} call failed: ${transportProblem(error)}`);
    }
    // The receiver's words are recorded: they are scrubbed like anything else that reaches an event.
    const answer = { status: response.status, body: redactSecrets((await response.text()).slice(0, 2_000)) };
    if (response.status < 200 || response.status > 299) {
      throw new Error(`webhook ${action} call answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
    }
    return answer;
  }
}

/** The URL without its userinfo, and the userinfo as a Basic authorization header. */
function parseEndpoint(raw: string): { url: string; authorization?: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const authorization = user || password ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` : undefined;
  return { url: parsed.toString(), ...(authorization ? { authorization } : {}) };
}

/** What went wrong on the wire, by kind only: never the URL, which is configuration. */
function transportProblem(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = cause && typeof cause.code === 'string' ? cause.code : undefined;
  return code ? `unreachable (${code})` : 'unreachable';
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

/** Any text the receiver understands, but never empty and never with control characters. */
/** The rule the catalogue applies too (@kairos/contracts CONNECTOR_TARGETS). */
export const webhookTargetProblem = CONNECTOR_TARGETS.webhook.problem;
