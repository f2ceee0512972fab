import { builder } from './builder.js';
import { DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES, type Delivery, type WebhookEndpoint } from '../db/entities/index.js';
import type { CreatedWebhookEndpoint } from '../webhook/webhook.service.js';
import { RealmRef } from './realm.js';
import { connectionOf, pageArgs } from './connection.js';

const WebhookEventTypeEnum = builder.enumType('WebhookEventType', { values: WEBHOOK_EVENT_TYPES });
const WebhookDeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', { values: DELIVERY_STATUSES });

const WebhookDeliveryRef = builder.objectRef<Delivery>('WebhookDelivery').implement({
  description: 'One event sent to one endpoint, with its attempts (docs/webhooks.md).',
  fields: (t) => ({
    id: t.exposeID('id'),
    eventId: t.exposeID('eventId', { description: 'The webhook-id header: the same on every attempt.' }),
    eventType: t.field({ type: WebhookEventTypeEnum, resolve: (d) => d.eventType }),
    status: t.field({ type: WebhookDeliveryStatusEnum, resolve: (d) => d.status }),
    attempts: t.exposeInt('attempts'),
    lastResponseStatus: t.exposeInt('lastResponseStatus', { nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});
const WebhookDeliveryConnection = connectionOf('WebhookDelivery', WebhookDeliveryRef);

const WebhookEndpointRef = builder.objectRef<WebhookEndpoint>('WebhookEndpoint').implement({
  description: 'A URL that receives the realm’s session events, signed per Standard Webhooks.',
  fields: (t) => ({
    id: t.exposeID('id'),
    realm: t.field({ type: RealmRef, resolve: async (e, _args, ctx) => ctx.services.realms.getRealm(await ctx.caller(), e.realmId) }),
    url: t.exposeString('url'),
    description: t.exposeString('description', { nullable: true }),
    eventTypes: t.field({ type: [WebhookEventTypeEnum], resolve: (e) => e.eventTypes }),
    enabled: t.exposeBoolean('enabled'),
    disabledReason: t.exposeString('disabledReason', { nullable: true, description: 'Why Tessera disabled it (every delivery failed for 3 days).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deliveries: t.field({ type: WebhookDeliveryConnection, args: pageArgs(t.arg), resolve: (e, args, ctx) => ctx.services.webhooks.deliveries(e, args) }),
  }),
});

const WebhookEndpointCreatedRef = builder.objectRef<CreatedWebhookEndpoint>('WebhookEndpointCreated').implement({
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, resolve: (c) => c.endpoint }),
    secret: t.exposeString('secret', { description: 'whsec_…: shown once. Verify requests with it (Standard Webhooks).' }),
  }),
});

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    realmId: t.id({ required: true }),
    url: t.string({ required: true }),
    eventTypes: t.field({ type: [WebhookEventTypeEnum], required: true }),
    description: t.string({ required: false }),
  }),
});
const UpdateWebhookEndpointInput = builder.inputType('UpdateWebhookEndpointInput', {
  description: 'Every field optional; an explicit null description removes it.',
  fields: (t) => ({
    url: t.string({ required: false }),
    eventTypes: t.field({ type: [WebhookEventTypeEnum], required: false }),
    description: t.string({ required: false }),
    enabled: t.boolean({ required: false }),
  }),
});

builder.queryFields((t) => ({
  webhookEndpoints: t.field({
    type: [WebhookEndpointRef],
    args: { realmId: t.arg.id({ required: true }) },
    resolve: async (_root, { realmId }, ctx) => ctx.services.webhooks.listEndpoints(await ctx.caller(), String(realmId)),
  }),
  webhookEndpoint: t.field({
    type: WebhookEndpointRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.webhooks.getEndpoint(await ctx.caller(), String(id)),
  }),
}));

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: WebhookEndpointCreatedRef,
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ctx.services.webhooks.createEndpoint(await ctx.caller(), { ...input, realmId: String(input.realmId) }),
  }),
  updateWebhookEndpoint: t.field({
    type: WebhookEndpointRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateWebhookEndpointInput, required: true }) },
    resolve: async (_root, { id, input }, ctx) => ctx.services.webhooks.updateEndpoint(await ctx.caller(), String(id), input),
  }),
  deleteWebhookEndpoint: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.webhooks.deleteEndpoint(await ctx.caller(), String(id)),
  }),
  rotateWebhookSecret: t.field({
    type: WebhookEndpointCreatedRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.webhooks.rotateSecret(await ctx.caller(), String(id)),
  }),
  redeliverWebhook: t.field({
    type: WebhookDeliveryRef,
    args: { deliveryId: t.arg.id({ required: true }) },
    resolve: async (_root, { deliveryId }, ctx) => ctx.services.webhooks.redeliver(await ctx.caller(), String(deliveryId)),
  }),
}));
