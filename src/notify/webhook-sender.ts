import type pg from 'pg';
import { redact } from '../domain/errors.js';
import { withTransaction } from '../store/db.js';
import { webhookDeliveries } from '../metrics/metrics.js';
import { claimDueWebhooks, markWebhookDelivered, markWebhookFailed } from '../store/webhooks.js';
import { EVENT_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER, webhookRetryDelayMs } from './webhook-signature.js';

export interface WebhookSettings {
  url: string;
  secret: string;
  /** First retry delay; doubles per attempt. */
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  pollIntervalMs: number;
  timeoutMs: number;
}

export interface WebhookSender {
  stop(): Promise<void>;
}

/**
 * Sends the outbox (`webhook_deliveries`) to the configured URL, signed with HMAC-SHA256, retrying failures with
 * exponential backoff. At-least-once: a delivery is marked sent only after a 2xx.
 */
export function startWebhookSender(pool: pg.Pool, settings: WebhookSettings): WebhookSender {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  async function sendDue(): Promise<void> {
    // Counted once the transaction that records them has committed.
    const outcomes = await withTransaction(pool, async (tx) => {
      const outcomes: ('delivered' | 'failed' | 'abandoned')[] = [];
      for (const d of await claimDueWebhooks(tx, 10)) {
        const body = JSON.stringify({ event: d.event, ...d.payload });
        const timestamp = String(Math.floor(Date.now() / 1000));
        let error: string | null = null;
        try {
          const res = await fetch(settings.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              [EVENT_HEADER]: d.event,
              [TIMESTAMP_HEADER]: timestamp,
              [SIGNATURE_HEADER]: signWebhook(settings.secret, timestamp, body),
            },
            body,
            signal: AbortSignal.timeout(settings.timeoutMs),
          });
          if (!res.ok) error = `HTTP ${res.status}`;
        } catch (err) {
          error = redact(err instanceof Error ? err.message : String(err));
        }
        if (error === null) {
          await markWebhookDelivered(tx, d.id);
          outcomes.push('delivered');
        } else {
          const retryInMs = webhookRetryDelayMs(d.attempts + 1, { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs, maxAttempts: settings.maxAttempts });
          await markWebhookFailed(tx, d.id, error, retryInMs);
          outcomes.push(retryInMs === null ? 'abandoned' : 'failed');
        }
      }
      return outcomes;
    });
    for (const outcome of outcomes) webhookDeliveries.inc({ outcome });
  }

  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : sendDue().catch(() => {}))); // the next tick tries again
  }, settings.pollIntervalMs);

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
