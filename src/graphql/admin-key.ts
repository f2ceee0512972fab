import { builder } from './builder.js';
import type { AdminKey } from '../db/entities/index.js';
import type { CreatedAdminKey } from '../auth/admin-keys.js';
import { AdminScopeEnum } from './enums.js';

export const AdminKeyRef = builder.objectRef<AdminKey>('AdminKey').implement({
  description: 'An operator credential. Only its hash is stored; the key itself was shown once, at creation.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { description: 'Unique among live keys.' }),
    scopes: t.field({ type: [AdminScopeEnum], resolve: (key) => key.scopes }),
    realmId: t.exposeID('realmId', { nullable: true, description: 'The one realm the key reaches; null for every realm.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Last request with the key, to the minute.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const AdminKeyCreatedRef = builder.objectRef<CreatedAdminKey>('AdminKeyCreated').implement({
  fields: (t) => ({
    adminKey: t.field({ type: AdminKeyRef, resolve: (created) => created.key }),
    key: t.exposeString('secret', { description: 'The key: shown once; only its hash is stored.' }),
  }),
});

const CreateAdminKeyInput = builder.inputType('CreateAdminKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.field({ type: [AdminScopeEnum], required: true, description: 'Only scopes the calling key has itself.' }),
    realmId: t.id({ required: false, description: 'Limit the key to this realm; a realm-limited caller must give its own realm.' }),
  }),
});

builder.queryFields((t) => ({
  adminKeys: t.field({
    type: [AdminKeyRef],
    description: "Admin keys in the caller's reach, revoked ones too (ADMIN_KEYS_MANAGE).",
    resolve: async (_root, _args, ctx) => ctx.services.adminKeys.listAdminKeys(await ctx.caller()),
  }),
}));

builder.mutationFields((t) => ({
  createAdminKey: t.field({
    type: AdminKeyCreatedRef,
    description: 'A new admin key (ADMIN_KEYS_MANAGE), never with more power than the calling key.',
    args: { input: t.arg({ type: CreateAdminKeyInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      ctx.services.adminKeys.createAdminKey(await ctx.caller(), {
        name: input.name,
        scopes: input.scopes,
        realmId: input.realmId == null ? null : String(input.realmId),
      }),
  }),
  revokeAdminKey: t.boolean({
    description: 'Revoke at once on every instance: true when this call revoked it, false when it already was.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.adminKeys.revokeAdminKey(await ctx.caller(), String(id)),
  }),
}));
