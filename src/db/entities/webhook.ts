import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const WEBHOOK_EVENT_TYPES = ['SESSION_CREATED', 'SESSION_REFRESHED', 'SESSION_TERMINATED'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const DELIVERY_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * A URL of a realm that receives its session events, signed per Standard Webhooks. The signing
 * secret is kept sealed under KEY_ENCRYPTION_KEY (it must sign, so it cannot be hashed); after a
 * rotation the previous one keeps signing beside it until `previousSecretExpiresAt`.
 */
export const WebhookEndpoint = defineEntity({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoint',
  properties: (p) => ({
    id: p.string().primary(),
    realmId: p.string(),
    url: p.text(),
    description: p.text().nullable(),
    eventTypes: p.array<WebhookEventType>(),
    enabled: p.boolean(),
    /** Why it was disabled by Tessera (failing for 3 days); null when enabled or disabled by an admin. */
    disabledReason: p.text().nullable(),
    secret: p.text(),
    previousSecret: p.text().nullable(),
    previousSecretExpiresAt: p.datetime().nullable(),
    /** Since when every attempt has failed; null after a success. */
    failingSince: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  }),
});
export type WebhookEndpoint = InferEntity<typeof WebhookEndpoint>;

/** One event to one target (a webhook endpoint, or a client's back-channel logout URI), with its attempts. */
export const Delivery = defineEntity({
  name: 'Delivery',
  tableName: 'delivery',
  properties: (p) => ({
    id: p.string().primary(),
    realmId: p.string(),
    endpointId: p.string().nullable(),
    clientId: p.string().nullable(),
    eventId: p.string(),
    eventType: p.string().$type<WebhookEventType>(),
    payload: p.json<DeliveryPayload>(),
    status: p.string().$type<DeliveryStatus>(),
    attempts: p.integer(),
    nextAttemptAt: p.datetime().nullable(),
    leaseUntil: p.datetime().nullable(),
    lastResponseStatus: p.integer().nullable(),
    lastError: p.text().nullable(),
    deliveredAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  }),
});
export type Delivery = InferEntity<typeof Delivery>;

/** The event a delivery carries, as recorded (the request is built from it at every attempt). */
export interface DeliveryPayload {
  sessionId: string;
  userId: string;
  realmId: string;
  reason: string | null;
  at: string;
}
