import { createHmac, randomBytes } from 'node:crypto';
import type { DeliveryPayload, WebhookEventType } from '../db/entities/index.js';

/** Standard Webhooks secrets: "whsec_" + base64 of the HMAC key (24 random bytes = 192 bits). */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(24).toString('base64');
}

const TYPE_NAMES: Record<WebhookEventType, string> = {
  SESSION_CREATED: 'session.created',
  SESSION_REFRESHED: 'session.refreshed',
  SESSION_TERMINATED: 'session.terminated',
};

/**
 * The body of a webhook request (docs/webhooks.md). Built from the recorded event alone, so every
 * attempt of a delivery sends the same bytes.
 */
export function webhookBody(eventType: WebhookEventType, payload: DeliveryPayload): string {
  const { sessionId, userId, realmId, reason, at } = payload;
  return JSON.stringify({ type: TYPE_NAMES[eventType], timestamp: at, data: { sessionId, userId, realmId, reason, at } });
}

/**
 * The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` under each
 * secret, space-separated (two during a rotation's overlap; receivers accept any that verifies).
 */
export function webhookSignature(secrets: string[], id: string, timestamp: number, body: string): string {
  const content = `${id}.${timestamp}.${body}`;
  return secrets
    .map(
      (secret) =>
        `v1,${createHmac('sha256', Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64'))
          .update(content)
          .digest('base64')}`,
    )
    .join(' ');
}
