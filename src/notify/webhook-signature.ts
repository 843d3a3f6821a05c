import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-pg-rotator-signature';
export const TIMESTAMP_HEADER = 'x-pg-rotator-timestamp';
export const EVENT_HEADER = 'x-pg-rotator-event';

/**
 * `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. The timestamp is signed too, so a receiver can
 * refuse replays of old deliveries.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): constant-time check of a delivery's signature. */
export function verifyWebhook(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Exponential backoff: base·2^(attempt−1), capped; null once the attempts are used up (the delivery is abandoned). */
export function webhookRetryDelayMs(attemptsSoFar: number, opts: { baseMs: number; maxMs: number; maxAttempts: number }): number | null {
  if (attemptsSoFar >= opts.maxAttempts) return null;
  return Math.min(opts.baseMs * 2 ** Math.max(0, attemptsSoFar - 1), opts.maxMs);
}
