import { createHmac, timingSafeEqual } from 'node:crypto';

/** The action ids of the Approve / Deny buttons of a review message in Slack. */
export const APPROVE_ACTION = 'kairos_approve';
export const DENY_ACTION = 'kairos_deny';

export type SlackVerification = { ok: true } | { ok: false; reason: string };

export const SLACK_MAX_SKEW_SECONDS = 300;

/**
 * Slack's request signing (v0): HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the app's signing
 * secret, compared in constant time, and only within five minutes of the timestamp (replays).
 */
export function verifySlackSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: Buffer,
  nowSeconds: number,
): SlackVerification {
  if (secret === '') return { ok: false, reason: 'no signing secret configured' };
  const { timestamp, signature } = headers;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing or malformed timestamp' };
  if (Math.abs(nowSeconds - Number(timestamp)) > SLACK_MAX_SKEW_SECONDS) return { ok: false, reason: 'timestamp outside the five-minute window' };
  if (!signature || !/^v0=[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'missing or malformed signature' };
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`);
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}
