import { createHmac } from 'node:crypto';
import { SendError } from '../../use-cases/dispatch-sends/ports';

export const WEBHOOK_SIGNATURE_HEADER = 'x-kairos-signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'x-kairos-timestamp';
export const WEBHOOK_ID_HEADER = 'x-kairos-delivery';

/** `v1=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` (docs/notifier-webhook.md). */
export const webhookSignature = (secret: string, timestamp: string, body: string): string =>
  `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

/** The generic signed webhook (Teams, Mattermost, PagerDuty or a team's own bot). */
export class WebhookChannel {
  constructor(
    private readonly url: string,
    private readonly secret: () => string,
  ) {}

  get enabled(): boolean {
    return this.url !== '';
  }

  async send(deliveryId: string, payload: Record<string, unknown>, nowSeconds: number): Promise<void> {
    const body = JSON.stringify(payload);
    const timestamp = String(nowSeconds);
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [WEBHOOK_ID_HEADER]: deliveryId,
          [WEBHOOK_TIMESTAMP_HEADER]: timestamp,
          [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(this.secret(), timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new SendError(`webhook: ${(error as Error).name}`, false);
    }
    if (res.ok) return;
    if (res.status === 429) {
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new SendError('webhook: HTTP 429', false, Number.isFinite(retryAfter) ? Math.min(retryAfter, 3600) * 1000 : undefined);
    }
    // 4xx (but 408/429) is the receiver refusing this payload for good.
    throw new SendError(`webhook: HTTP ${res.status}`, res.status >= 400 && res.status < 500 && res.status !== 408);
  }
}
