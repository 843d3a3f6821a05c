import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook, webhookRetryDelayMs } from '../../src/notify/webhook-signature.js';

describe('webhook signature', () => {
  it('is HMAC-SHA256 of "<timestamp>.<body>" in hex, and verifies only with the same secret, time and body', () => {
    const sig = signWebhook('s3cret', '1700000000', '{"a":1}');
    expect(sig).toBe(`sha256=${createHmac('sha256', 's3cret').update('1700000000.{"a":1}').digest('hex')}`);
    expect(verifyWebhook('s3cret', '1700000000', '{"a":1}', sig)).toBe(true);
    expect(verifyWebhook('other', '1700000000', '{"a":1}', sig)).toBe(false);
    expect(verifyWebhook('s3cret', '1700000001', '{"a":1}', sig)).toBe(false);
    expect(verifyWebhook('s3cret', '1700000000', '{"a":2}', sig)).toBe(false);
    expect(verifyWebhook('s3cret', '1700000000', '{"a":1}', 'sha256=short')).toBe(false);
  });

  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [10, 60_000],
    [24, null],
  ])('retry after attempt %i: %s ms (base 1 s, cap 60 s, 24 attempts)', (attempts, expected) => {
    expect(webhookRetryDelayMs(attempts, { baseMs: 1000, maxMs: 60_000, maxAttempts: 24 })).toBe(expected);
  });
});
