import { readFileSync } from 'node:fs';
import { kafkaConfig, serviceConfig, type Config, type ConfigSpec } from '@kairos/config';

const seconds = (description: string, fallback: number) => ({ type: 'int', min: 1, max: 31_536_000, default: fallback, description }) as const;

export const config = {
  ...serviceConfig,
  ...kafkaConfig,
  PORT: { type: 'int', min: 0, max: 65535, default: 3010, description: 'HTTP port' },
  DATABASE_SCHEMA: { type: 'string', default: 'notifier', description: 'PostgreSQL schema owned by this service' },
  APPROVAL_POLICY_URL: { type: 'url', protocols: ['http', 'https'], description: "The approval-policy service: the directory's contacts and the review relay" },
  NOTIFIER_TOKEN: { type: 'string', default: '', secret: true, description: "The notifier's service bearer token for the approval-policy service (or NOTIFIER_TOKEN_FILE)" },
  NOTIFIER_TOKEN_FILE: { type: 'string', default: '', description: 'A file holding the service token, re-read on every call (rotated by a sidecar)' },
  CONSOLE_URL: { type: 'url', protocols: ['http', 'https'], default: 'http://127.0.0.1:3001', description: 'Base of the links in messages (review page, request page)' },
  DEFAULT_CHANNELS: { type: 'list', default: ['email'], description: 'Channels of a person who chose none: email, slack' },
  TEMPLATES_DIR: { type: 'string', default: '', description: "A folder of the operator's templates (<kind>.subject, <kind>.txt, <kind>.html); missing files fall back to the defaults" },
  SMTP_HOST: { type: 'string', default: '', description: 'SMTP server host; empty disables email' },
  SMTP_PORT: { type: 'int', min: 1, max: 65535, default: 587, description: 'SMTP server port' },
  SMTP_SECURE: { type: 'bool', default: false, description: 'Implicit TLS (port 465); otherwise STARTTLS when offered' },
  SMTP_REQUIRE_TLS: { type: 'bool', default: false, description: 'Refuse to send unless STARTTLS succeeds' },
  SMTP_TLS_REJECT_UNAUTHORIZED: { type: 'bool', default: true, description: "Verify the SMTP server's certificate" },
  SMTP_USER: { type: 'string', default: '', description: 'SMTP auth user; empty sends without auth' },
  SMTP_PASSWORD: { type: 'string', default: '', secret: true, description: 'SMTP auth password (or SMTP_PASSWORD_FILE)' },
  SMTP_PASSWORD_FILE: { type: 'string', default: '', description: 'A file holding the SMTP password' },
  SMTP_FROM: { type: 'string', default: 'Kairos <kairos@localhost>', description: 'From address of notification mails' },
  SLACK_API_URL: { type: 'url', protocols: ['http', 'https'], default: 'https://slack.com/api', description: "Slack Web API base URL" },
  SLACK_BOT_TOKEN: { type: 'string', default: '', secret: true, description: 'Slack bot token (xoxb-…) or SLACK_BOT_TOKEN_FILE; empty disables Slack' },
  SLACK_BOT_TOKEN_FILE: { type: 'string', default: '', description: 'A file holding the Slack bot token' },
  SLACK_SIGNING_SECRET: { type: 'string', default: '', secret: true, description: "Slack app signing secret (or SLACK_SIGNING_SECRET_FILE); interactive buttons are refused without it" },
  SLACK_SIGNING_SECRET_FILE: { type: 'string', default: '', description: 'A file holding the Slack signing secret' },
  NOTIFY_WEBHOOK_URL: { type: 'string', default: '', description: 'Generic webhook receiving every notification (HMAC signed, docs/notifier-webhook.md); empty disables it' },
  NOTIFY_WEBHOOK_SECRET: { type: 'string', default: '', secret: true, description: 'HMAC-SHA256 key of the webhook signature (or NOTIFY_WEBHOOK_SECRET_FILE)' },
  NOTIFY_WEBHOOK_SECRET_FILE: { type: 'string', default: '', description: 'A file holding the webhook secret' },
  REMINDER_AFTER_SECONDS: seconds('An unanswered review is reminded this long after it was asked', 4 * 3600),
  ESCALATE_AFTER_SECONDS: seconds('…and escalated to the fallback approvers this long after the reminder', 20 * 3600),
  ESCALATION_GROUP: { type: 'string', default: 'kairos-admins', description: "Last-resort fallback approvers of an unanswered review: used when the step's recorded fallback group and (manager steps) the item's resource owners yield nobody" },
  FULFILLER_GROUP: { type: 'string', default: 'fulfillers', description: "Told about a new manual fulfilment ticket only when the item's policy snapshot recorded no fulfillers (its resource owners)" },
  EXPIRY_WARNING_SECONDS: seconds('Requesters are warned this long before their access expires', 3600),
  SEND_MAX_ATTEMPTS: { type: 'int', min: 1, max: 100, default: 10, description: 'Attempts of one send before it is dead-lettered' },
  SEND_BACKOFF_MS: { type: 'int', min: 10, max: 3_600_000, default: 2000, description: 'First retry delay of a failed send (doubles each attempt, capped at 10 minutes)' },
  LOOP_INTERVAL_MS: { type: 'int', min: 10, max: 60_000, default: 500, description: 'How often the send and timer loop looks for work' },
} as const satisfies ConfigSpec;

export type NotifierConfig = Config<typeof config>;

/**
 * A secret given as `NAME` or as `NAME_FILE` (a mounted file, read when needed so a rotated file is
 * picked up). Never logged; a file that cannot be read is named, its content never.
 */
export function secretOf(value: string, file: string): () => string {
  if (value !== '') return () => value;
  if (file === '') return () => '';
  return () => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new Error(`cannot read the secret file ${file}`);
    }
  };
}
