import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-kairos-signature';
export const TIMESTAMP_HEADER = 'x-kairos-timestamp';

/**
 * The signed material is `<unix seconds>.<raw body>`: signing the body alone would let anyone who
 * saw one delivery replay it later with a fresh timestamp header.
 */
export function sign(secret: string, timestampSeconds: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex')}`;
}

export function verifySignature(
  secret: string,
  headers: { signature?: string; timestamp?: string },
  rawBody: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(timestamp)) return false;
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, timestamp, rawBody));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
