import { builder } from './builder.js';
import { Membership, Org } from '../db/entities/index.js';
import { connectionOf, pageArgs } from './connection.js';

export const OrgRef = builder.objectRef<Org>('Org');
export const MembershipRef = builder.objectRef<Membership>('Membership');

OrgRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    realmId: t.exposeID('realmId'),
    name: t.exposeString('name'),
    customAttributes: t.field({ type: 'JSONObject', resolve: (o) => o.customAttributes ?? {} }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    memberships: t.field({
      type: [MembershipRef],
      resolve: (org, _args, ctx) => ctx.services.orgs.membershipsOfOrg(org.realmId, org.id),
    }),
  }),
});

MembershipRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    userId: t.exposeID('userId'),
    orgId: t.exposeID('orgId', { nullable: true, description: 'null for a realm-wide membership' }),
    org: t.field({
      type: OrgRef,
      nullable: true,
      resolve: (m, _args, ctx) => ctx.services.orgs.orgOf(m),
    }),
    permissions: t.exposeStringList('permissions'),
    customAttributes: t.field({ type: 'JSONObject', resolve: (m) => m.customAttributes ?? {} }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const OrgConnection = connectionOf('Org', OrgRef);

const CreateOrgInput = builder.inputType('CreateOrgInput', {
  fields: (t) => ({
    realmId: t.id({ required: true }),
    name: t.string({ required: true }),
    customAttributes: t.field({ type: 'JSONObject', required: false }),
  }),
});
const UpdateOrgInput = builder.inputType('UpdateOrgInput', {
  fields: (t) => ({
    name: t.string({ required: false }),
    customAttributes: t.field({ type: 'JSONObject', required: false }),
  }),
});
const CreateMembershipInput = builder.inputType('CreateMembershipInput', {
  fields: (t) => ({
    userId: t.id({ required: true }),
    orgId: t.id({ required: false, description: 'Omit for a realm-wide membership.' }),
    permissions: t.stringList({ required: false }),
    customAttributes: t.field({ type: 'JSONObject', required: false }),
  }),
});
const UpdateMembershipInput = builder.inputType('UpdateMembershipInput', {
  fields: (t) => ({
    permissions: t.stringList({ required: false }),
    customAttributes: t.field({ type: 'JSONObject', required: false }),
  }),
});

builder.queryFields((t) => ({
  org: t.field({
    type: OrgRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.orgs.getOrg(await ctx.caller(), String(id)),
  }),
  orgs: t.field({
    type: OrgConnection,
    args: { realmId: t.arg.id({ required: true }), ...pageArgs(t.arg) },
    resolve: async (_root, args, ctx) => ctx.services.orgs.listOrgs(await ctx.caller(), String(args.realmId), args),
  }),
}));

builder.mutationFields((t) => ({
  createOrg: t.field({
    type: OrgRef,
    args: { input: t.arg({ type: CreateOrgInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ctx.services.orgs.createOrg(await ctx.caller(), { ...input, realmId: String(input.realmId) }),
  }),
  updateOrg: t.field({
    type: OrgRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateOrgInput, required: true }) },
    resolve: async (_root, { id, input }, ctx) => ctx.services.orgs.updateOrg(await ctx.caller(), String(id), input),
  }),
  deleteOrg: t.boolean({
    description: 'Deletes an org and its memberships (USERS_MANAGE). Audit rows stay until their retention.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.orgs.deleteOrg(await ctx.caller(), String(id)),
  }),
  createMembership: t.field({
    type: MembershipRef,
    args: { input: t.arg({ type: CreateMembershipInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      ctx.services.orgs.createMembership(await ctx.caller(), {
        ...input,
        userId: String(input.userId),
        // Only an absent or null orgId means realm-wide; "" is an id that does not exist.
        orgId: input.orgId === null || input.orgId === undefined ? null : String(input.orgId),
      }),
  }),
  updateMembership: t.field({
    type: MembershipRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateMembershipInput, required: true }) },
    resolve: async (_root, { id, input }, ctx) => ctx.services.orgs.updateMembership(await ctx.caller(), String(id), input),
  }),
  deleteMembership: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.orgs.deleteMembership(await ctx.caller(), String(id)),
  }),
}));
