import { readFileSync } from 'node:fs';
import { CONNECTOR_TARGETS } from '@kairos/contracts';
import { definePlugin } from '../../../domain/connector';
import { WebhookConnector, webhookTargetProblem } from './webhook.connector';

/** The webhook key, from the variable or the file; never from an event. */
export function webhookSecret(c: { readonly WEBHOOK_SECRET: string; readonly WEBHOOK_SECRET_FILE: string }): string | undefined {
  if (c.WEBHOOK_SECRET) return c.WEBHOOK_SECRET;
  if (c.WEBHOOK_SECRET_FILE) return readFileSync(c.WEBHOOK_SECRET_FILE, 'utf8').trim() || undefined;
  return undefined;
}

export const plugin = definePlugin({
  name: 'webhook',
  description:
    'POSTs signed grant/revoke/verify calls (HMAC-SHA256, docs/connectors/webhook.md) to one receiver that changes the target and answers the state of exactly that access.',
  targetSyntax: CONNECTOR_TARGETS.webhook.syntax,
  settings: {
    WEBHOOK_URL: {
      type: 'string',
      default: '',
      description:
        'URL the webhook connector POSTs signed grant/revoke/verify calls to; empty = webhook connector not configured (unhealthy, its jobs fail)',
    },
    WEBHOOK_SECRET: {
      type: 'string',
      default: '',
      secret: true,
      description: 'HMAC-SHA256 key for x-kairos-signature (or WEBHOOK_SECRET_FILE)',
    },
    WEBHOOK_SECRET_FILE: {
      type: 'string',
      default: '',
      description: 'file holding the webhook HMAC key (used when WEBHOOK_SECRET is empty)',
    },
    WEBHOOK_TIMEOUT_MS: { type: 'int', min: 100, default: 10_000, description: 'timeout of one webhook call' },
  },
  targetProblem: webhookTargetProblem,
  accessRole: ({ role }) => role,
  create: (c, { clock }) =>
    new WebhookConnector({ url: c.WEBHOOK_URL || undefined, secret: webhookSecret(c), timeoutMs: c.WEBHOOK_TIMEOUT_MS }, clock),
});
