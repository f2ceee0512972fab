import { builder, type Types } from './builder.js';
import { Realm, SigningKey } from '../db/entities/index.js';
import { realmIssuer } from '../token/jwt.js';
import { connectionOf, pageArgs } from './connection.js';
import { JwtAlgorithmEnum, JwtFieldEnum, SessionTypeEnum } from './enums.js';

const SigningKeyRef = builder.objectRef<SigningKey>('SigningKey').implement({
  description: 'One signing key of a realm (docs/security.md#signing-keys). Its `id` is the `kid` of the tokens it signed.',
  fields: (t) => ({
    id: t.exposeID('id'),
    algorithm: t.field({ type: JwtAlgorithmEnum, resolve: (k) => k.algorithm }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    rotatedAt: t.expose('retiredAt', { type: 'DateTime', nullable: true, description: 'When a newer key took over signing; null while it signs.' }),
    verifiesUntil: t.expose('verifiesUntil', {
      type: 'DateTime',
      nullable: true,
      description: 'After this it verifies nothing and is not in the JWKS. Null while it signs, or while tokens it signed may be open-ended.',
    }),
  }),
});

export const RealmRef = builder.objectRef<Realm>('Realm').implement({
  description: 'A tenant: its own users, orgs, signing keys and settings.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    jwtAlgorithm: t.field({ type: JwtAlgorithmEnum, resolve: (r) => r.jwtAlgorithm }),
    jwtFields: t.field({ type: [JwtFieldEnum], resolve: (r) => r.jwtFields }),
    sessionType: t.field({ type: SessionTypeEnum, resolve: (r) => r.sessionType }),
    sessionMinutes: t.exposeInt('sessionMinutes', { nullable: true, description: 'null = open-ended (UNMANAGED only)' }),
    apiKeyMinutes: t.exposeInt('apiKeyMinutes', { nullable: true, description: 'null = open-ended' }),
    accessTokenSeconds: t.exposeInt('accessTokenSeconds'),
    idleTimeoutSeconds: t.exposeInt('idleTimeoutSeconds', { nullable: true, description: 'null = no idle timeout' }),
    maxActiveSessions: t.exposeInt('maxActiveSessions'),
    jwtSecret: t.string({
      nullable: true,
      description: 'HS256 signing secret (use its UTF-8 bytes as the HMAC key). REALMS_MANAGE only.',
      resolve: async (realm, _args, ctx) => ctx.services.realms.jwtSecret(await ctx.caller(), realm),
    }),
    jwtPublicKey: t.string({
      nullable: true,
      description: 'RS256 public key (PEM, SPKI) of the current signing key.',
      resolve: (realm, _args, ctx) => ctx.services.realms.jwtPublicKey(realm),
    }),
    signingKeyId: t.string({
      nullable: true,
      description: 'The `kid` of the key that signs new tokens.',
      resolve: (realm, _args, ctx) => ctx.services.realms.activeKeyId(realm),
    }),
    signingKeys: t.field({
      type: [SigningKeyRef],
      description: 'Every signing key of the realm, newest first, retired ones too. REALMS_READ.',
      resolve: async (realm, _args, ctx) => ctx.services.realms.signingKeys(await ctx.caller(), realm),
    }),
    issuer: t.string({ resolve: (realm, _args, ctx) => realmIssuer(ctx.publicUrl, realm.id) }),
    jwksUrl: t.string({ resolve: (realm, _args, ctx) => `${realmIssuer(ctx.publicUrl, realm.id)}/.well-known/jwks.json` }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const RealmConnection = connectionOf('Realm', RealmRef);

const realmSettingsFields = (t: PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>) => ({
  jwtAlgorithm: t.field({ type: JwtAlgorithmEnum, required: false }),
  jwtFields: t.field({ type: [JwtFieldEnum], required: false }),
  sessionType: t.field({ type: SessionTypeEnum, required: false }),
  sessionMinutes: t.int({ required: false }),
  apiKeyMinutes: t.int({ required: false }),
  accessTokenSeconds: t.int({ required: false }),
  idleTimeoutSeconds: t.int({ required: false }),
  maxActiveSessions: t.int({ required: false }),
});

const CreateRealmInput = builder.inputType('CreateRealmInput', {
  fields: (t) => ({ name: t.string({ required: true }), ...realmSettingsFields(t) }),
});

const UpdateRealmInput = builder.inputType('UpdateRealmInput', {
  description: 'Every field optional; an explicit null makes sessionMinutes, apiKeyMinutes or idleTimeoutSeconds open-ended.',
  fields: (t) => ({ name: t.string({ required: false }), ...realmSettingsFields(t) }),
});

builder.queryFields((t) => ({
  realm: t.field({
    type: RealmRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => ctx.services.realms.getRealm(await ctx.caller(), String(args.id)),
  }),
  realms: t.field({
    type: RealmConnection,
    args: pageArgs(t.arg),
    resolve: async (_root, args, ctx) => ctx.services.realms.listRealms(await ctx.caller(), args),
  }),
}));

builder.mutationFields((t) => ({
  createRealm: t.field({
    type: RealmRef,
    args: { input: t.arg({ type: CreateRealmInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ctx.services.realms.createRealm(await ctx.caller(), input),
  }),
  updateRealm: t.field({
    type: RealmRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateRealmInput, required: true }) },
    resolve: async (_root, { id, input }, ctx) => ctx.services.realms.updateRealm(await ctx.caller(), String(id), input),
  }),
  deleteRealm: t.boolean({
    description:
      "Deletes a realm and everything in it (REALMS_MANAGE): every session ends first (USER_DELETED, with its events), then its users, orgs, keys, clients and webhook endpoints go, and the admin keys limited to it. `confirmName` must be the realm's name. Audit rows stay until their retention.",
    args: { id: t.arg.id({ required: true }), confirmName: t.arg.string({ required: true }) },
    resolve: async (_root, { id, confirmName }, ctx) => ctx.services.realms.deleteRealm(await ctx.caller(), String(id), confirmName),
  }),
  rotateRealmKey: t.field({
    type: RealmRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.realms.rotateRealmKey(await ctx.caller(), String(id)),
  }),
  retireRealmKey: t.field({
    type: RealmRef,
    description:
      'Revoke a signing key now (a leak): it verifies nothing from now on and leaves the JWKS; the sessions whose latest token it signed end (TERMINATED_BY_ADMIN). Retiring the key that signs makes a new one.',
    args: { id: t.arg.id({ required: true }), kid: t.arg.id({ required: true }) },
    resolve: async (_root, { id, kid }, ctx) => ctx.services.realms.retireRealmKey(await ctx.caller(), String(id), String(kid)),
  }),
}));
