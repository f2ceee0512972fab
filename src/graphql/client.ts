import { builder } from './builder.js';
import type { Client } from '../db/entities/index.js';
import type { CreatedClient } from '../client/client.service.js';
import { RealmRef } from './realm.js';

export const ClientRef = builder.objectRef<Client>('Client').implement({
  description: 'A relying party of a realm (OAuth client). Its id is the OAuth client_id.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The OAuth client_id.' }),
    realm: t.field({ type: RealmRef, resolve: async (c, _args, ctx) => ctx.services.realms.getRealm(await ctx.caller(), c.realmId) }),
    name: t.exposeString('name'),
    backchannelLogoutUri: t.exposeString('backchannelLogoutUri', {
      nullable: true,
      description: 'Receives an OpenID Connect back-channel logout token whenever a session of the realm ends.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const ClientCreatedRef = builder.objectRef<CreatedClient>('ClientCreated').implement({
  fields: (t) => ({
    client: t.field({ type: ClientRef, resolve: (c) => c.client }),
    clientSecret: t.exposeString('clientSecret', { description: 'Shown once; only its hash is stored.' }),
  }),
});

const CreateClientInput = builder.inputType('CreateClientInput', {
  fields: (t) => ({
    realmId: t.id({ required: true }),
    name: t.string({ required: true }),
    backchannelLogoutUri: t.string({ required: false }),
  }),
});
const UpdateClientInput = builder.inputType('UpdateClientInput', {
  description: 'Every field optional; an explicit null backchannelLogoutUri removes it.',
  fields: (t) => ({
    name: t.string({ required: false }),
    backchannelLogoutUri: t.string({ required: false }),
  }),
});

builder.queryFields((t) => ({
  clients: t.field({
    type: [ClientRef],
    args: { realmId: t.arg.id({ required: true }) },
    resolve: async (_root, { realmId }, ctx) => ctx.services.clients.listClients(await ctx.caller(), String(realmId)),
  }),
  client: t.field({
    type: ClientRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.clients.getClient(await ctx.caller(), String(id)),
  }),
}));

builder.mutationFields((t) => ({
  createClient: t.field({
    type: ClientCreatedRef,
    args: { input: t.arg({ type: CreateClientInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ctx.services.clients.createClient(await ctx.caller(), { ...input, realmId: String(input.realmId) }),
  }),
  updateClient: t.field({
    type: ClientRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateClientInput, required: true }) },
    resolve: async (_root, { id, input }, ctx) => ctx.services.clients.updateClient(await ctx.caller(), String(id), input),
  }),
  deleteClient: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.clients.deleteClient(await ctx.caller(), String(id)),
  }),
  rotateClientSecret: t.field({
    type: ClientCreatedRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.clients.rotateClientSecret(await ctx.caller(), String(id)),
  }),
}));
