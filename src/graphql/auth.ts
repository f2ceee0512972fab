import { builder } from './builder.js';
import type { User } from '../db/entities/index.js';
import type { LoginResult } from '../session/token-issuer.js';
import type { LoginTokenCheck } from '../token/token-verifier.js';
import { unauthenticated } from '../errors.js';
import { SessionRef } from './session.js';
import { UserRef } from './user.js';

const LoginResultRef = builder.objectRef<LoginResult>('LoginResult').implement({
  fields: (t) => ({
    accessToken: t.exposeString('accessToken', { description: 'The login token (JWT).' }),
    accessTokenExpiresAt: t.expose('accessTokenExpiresAt', { type: 'DateTime', nullable: true }),
    accessTokenBytes: t.int({ description: 'Size of the login token; above 4096 it will not fit a cookie.', resolve: (r) => Buffer.byteLength(r.accessToken) }),
    refreshToken: t.exposeString('refreshToken', { nullable: true, description: 'Managed sessions only; rotates on every refresh.' }),
    session: t.field({ type: SessionRef, nullable: true, resolve: (r) => r.session }),
    user: t.field({ type: UserRef, resolve: (r) => r.user }),
  }),
});

const TokenVerificationRef = builder.objectRef<{ check: LoginTokenCheck }>('TokenVerification').implement({
  fields: (t) => ({
    valid: t.boolean({ resolve: ({ check }) => check.valid }),
    reason: t.string({ nullable: true, resolve: ({ check }) => (check.valid ? null : check.reason) }),
    claims: t.field({ type: 'JSONObject', nullable: true, resolve: ({ check }) => (check.valid ? check.claims : null) }),
    session: t.field({
      type: SessionRef,
      nullable: true,
      resolve: ({ check }, _args, ctx) => (check.valid && check.sessionId ? ctx.services.sessions.sessionOf(check.realmId, check.sessionId) : null),
    }),
  }),
});

const ViewerRef = builder.objectRef<{ user: User; sessionId: string | null; realmId: string }>('Viewer').implement({
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (v) => v.user }),
    session: t.field({
      type: SessionRef,
      nullable: true,
      resolve: (v, _args, ctx) => (v.sessionId ? ctx.services.sessions.sessionOf(v.realmId, v.sessionId) : null),
    }),
  }),
});

const ClientInput = builder.inputType('ClientInput', {
  fields: (t) => ({
    userAgent: t.string({ required: false }),
    app: t.string({ required: false, description: 'Client application id, shown in session lists.' }),
  }),
});

const LoginInput = builder.inputType('LoginInput', {
  fields: (t) => ({
    realmId: t.id({ required: true }),
    username: t.string({ required: true }),
    password: t.string({ required: true }),
    client: t.field({ type: ClientInput, required: false }),
  }),
});

const ApiKeyLoginInput = builder.inputType('ApiKeyLoginInput', {
  fields: (t) => ({ realmId: t.id({ required: true }), apiKey: t.string({ required: true }) }),
});

/** Count an attempt in /metrics by its outcome. */
async function counted<T>(work: Promise<T>, count: (result: 'success' | 'failure') => void): Promise<T> {
  try {
    const result = await work;
    count('success');
    return result;
  } catch (error) {
    count('failure');
    throw error;
  }
}

builder.queryFields((t) => ({
  me: t.field({
    type: ViewerRef,
    nullable: true,
    description: 'The user behind a login token, and its current session.',
    resolve: async (_root, _args, ctx) => {
      const caller = await ctx.caller();
      if (caller.kind !== 'user') throw unauthenticated('me needs a user login token');
      const user = await ctx.services.sessions.viewer(caller);
      return { user, sessionId: caller.sessionId, realmId: caller.realmId };
    },
  }),
  verifyToken: t.field({
    type: TokenVerificationRef,
    description: 'Server-side check of a login token, including the state of its managed session. Never errors for a bad token.',
    args: { token: t.arg.string({ required: true }) },
    resolve: async (_root, { token }, ctx) => ({ check: await ctx.services.tokens.check(token) }),
  }),
}));

builder.mutationFields((t) => ({
  login: t.field({
    type: LoginResultRef,
    args: { input: t.arg({ type: LoginInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      counted(
        ctx.services.logins.login({ ...input, realmId: String(input.realmId), client: input.client ? { ip: ctx.ip, ...input.client } : null }, ctx.ip),
        (result) => ctx.metrics.logins({ result, method: 'password' }),
      ),
  }),
  loginWithApiKey: t.field({
    type: LoginResultRef,
    args: { input: t.arg({ type: ApiKeyLoginInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      counted(ctx.services.logins.loginWithApiKey({ realmId: String(input.realmId), apiKey: input.apiKey }, ctx.ip), (result) =>
        ctx.metrics.logins({ result, method: 'api_key' }),
      ),
  }),
  refresh: t.field({
    type: LoginResultRef,
    args: { refreshToken: t.arg.string({ required: true }) },
    resolve: (_root, { refreshToken }, ctx) => counted(ctx.services.issuer.refresh(refreshToken, ctx.ip), (result) => ctx.metrics.refreshes({ result })),
  }),
  changePassword: t.field({
    type: LoginResultRef,
    description:
      "A user changes its own password (user login token). A wrong currentPassword is INVALID_CREDENTIALS, throttled like a login. Every other session of the user ends (PASSWORD_CHANGED); the caller's session continues with the fresh tokens answered here, and its old refresh token no longer works.",
    args: { currentPassword: t.arg.string({ required: true }), newPassword: t.arg.string({ required: true }) },
    resolve: async (_root, { currentPassword, newPassword }, ctx) => ctx.services.logins.changePassword(await ctx.caller(), currentPassword, newPassword),
  }),
}));
