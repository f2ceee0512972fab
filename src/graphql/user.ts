import { builder } from './builder.js';
import { ApiKey, User } from '../db/entities/index.js';
import { fullName } from '../token/claims.js';
import { connectionOf, pageArgs } from './connection.js';
import { UserKindEnum } from './enums.js';
import { RealmRef } from './realm.js';
import { MembershipRef } from './org.js';

export const ApiKeyRef = builder.objectRef<ApiKey>('ApiKey').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

export const UserRef = builder.objectRef<User>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Also the `sub` and `uid` claims of its tokens.' }),
    realm: t.field({ type: RealmRef, resolve: (user, _args, ctx) => ctx.services.realms.realmOf(user) }),
    kind: t.field({ type: UserKindEnum, resolve: (u) => u.kind }),
    username: t.exposeString('username'),
    email: t.exposeString('email', { nullable: true }),
    firstName: t.exposeString('firstName', { nullable: true }),
    lastName: t.exposeString('lastName', { nullable: true }),
    name: t.string({ nullable: true, description: 'Full name, from firstName and lastName.', resolve: (u) => fullName(u) }),
    customAttributes: t.field({ type: 'JSONObject', resolve: (u) => u.customAttributes ?? {} }),
    disabled: t.exposeBoolean('disabled'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    lastLoginAt: t.expose('lastLoginAt', { type: 'DateTime', nullable: true }),
    memberships: t.field({
      type: [MembershipRef],
      resolve: async (user, _args, ctx) => (await ctx.services.orgs.membershipsOfUser(user.realmId, user.id)).map((m) => m.membership),
    }),
    apiKeys: t.field({
      type: [ApiKeyRef],
      description: 'API keys of an API user (admins with USERS_READ; empty for others).',
      // A stale bearer sent along with login/refresh must not fail the whole result: no keys then.
      resolve: async (user, _args, ctx) => {
        const caller = await ctx.caller().catch(() => null);
        return caller ? ctx.services.users.listApiKeys(caller, user) : [];
      },
    }),
  }),
});

const UserConnection = connectionOf('User', UserRef);

const ApiKeyCreated = builder.objectRef<{ apiKey: string; key: ApiKey }>('ApiKeyCreated').implement({
  fields: (t) => ({
    apiKey: t.exposeString('apiKey', { description: 'The key itself: shown this once, stored only as a hash.' }),
    key: t.field({ type: ApiKeyRef, resolve: (r) => r.key }),
  }),
});

const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    realmId: t.id({ required: true }),
    kind: t.field({ type: UserKindEnum, required: false, defaultValue: 'HUMAN' }),
    username: t.string({ required: true }),
    password: t.string({ required: false, description: 'Required for HUMAN users, refused for API users.' }),
    email: t.string({ required: false }),
    firstName: t.string({ required: false }),
    lastName: t.string({ required: false }),
    customAttributes: t.field({ type: 'JSONObject', required: false }),
  }),
});

const UpdateUserInput = builder.inputType('UpdateUserInput', {
  fields: (t) => ({
    username: t.string({ required: false }),
    email: t.string({ required: false }),
    firstName: t.string({ required: false }),
    lastName: t.string({ required: false }),
    customAttributes: t.field({ type: 'JSONObject', required: false }),
    disabled: t.boolean({ required: false, description: 'Disabling a user terminates all its sessions (USER_DISABLED).' }),
  }),
});

const UpdateMeInput = builder.inputType('UpdateMeInput', {
  fields: (t) => ({
    email: t.string({ required: false, description: 'Unique among the users of the realm (case-insensitive).' }),
    firstName: t.string({ required: false }),
    lastName: t.string({ required: false }),
  }),
});

builder.queryFields((t) => ({
  user: t.field({
    type: UserRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.users.getUser(await ctx.caller(), String(id)),
  }),
  users: t.field({
    type: UserConnection,
    args: { realmId: t.arg.id({ required: true }), query: t.arg.string({ required: false }), ...pageArgs(t.arg) },
    resolve: async (_root, args, ctx) => ctx.services.users.listUsers(await ctx.caller(), String(args.realmId), args.query, args),
  }),
}));

builder.mutationFields((t) => ({
  createUser: t.field({
    type: UserRef,
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ctx.services.users.createUser(await ctx.caller(), { ...input, realmId: String(input.realmId) }),
  }),
  updateUser: t.field({
    type: UserRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateUserInput, required: true }) },
    resolve: async (_root, { id, input }, ctx) => ctx.services.users.updateUser(await ctx.caller(), String(id), input),
  }),
  updateMe: t.field({
    type: UserRef,
    description: 'A user edits its own profile (user login token).',
    args: { input: t.arg({ type: UpdateMeInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ctx.services.users.updateMe(await ctx.caller(), input),
  }),
  deleteUser: t.boolean({
    description:
      'Deletes a user (USERS_MANAGE): its sessions end first (USER_DELETED, with their events), then it goes with its memberships and API keys. Audit rows stay until their retention.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.users.deleteUser(await ctx.caller(), String(id)),
  }),
  setPassword: t.field({
    type: UserRef,
    description: "Sets a HUMAN user's password and terminates all its sessions (PASSWORD_CHANGED).",
    args: { userId: t.arg.id({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, { userId, password }, ctx) => ctx.services.users.setPassword(await ctx.caller(), String(userId), password),
  }),
  createApiKey: t.field({
    type: ApiKeyCreated,
    args: { userId: t.arg.id({ required: true }) },
    resolve: async (_root, { userId }, ctx) => ctx.services.users.createApiKey(await ctx.caller(), String(userId)),
  }),
  revokeApiKey: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.users.revokeApiKey(await ctx.caller(), String(id)),
  }),
}));
