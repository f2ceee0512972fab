import { builder } from './builder.js';
import { Session, type SessionState } from '../db/entities/index.js';
import { effectiveState, endedAt } from '../session/session-state.js';
import { connectionOf, pageArgs } from './connection.js';
import { SessionStateEnum, TerminationReasonEnum } from './enums.js';
import { RealmRef } from './realm.js';
import { UserRef } from './user.js';

export const SessionRef = builder.objectRef<Session>('Session').implement({
  description: 'A managed session: one successful login, tracked server-side.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Also the `sid` claim of its tokens.' }),
    user: t.field({ type: UserRef, resolve: (s, _args, ctx) => ctx.services.users.userOf(s) }),
    realm: t.field({ type: RealmRef, resolve: (s, _args, ctx) => ctx.services.realms.realmOf(s) }),
    state: t.field({ type: SessionStateEnum, resolve: (s, _args, ctx) => effectiveState(s, ctx.clock.now()).state as SessionState }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastActiveAt: t.expose('lastActiveAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    idleExpiresAt: t.expose('idleExpiresAt', { type: 'DateTime', nullable: true }),
    ip: t.exposeString('ip', { nullable: true }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    app: t.exposeString('app', { nullable: true }),
    terminatedAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (s, _args, ctx) => endedAt(s, ctx.clock.now()),
    }),
    terminationReason: t.field({
      type: TerminationReasonEnum,
      nullable: true,
      resolve: (s, _args, ctx) => effectiveState(s, ctx.clock.now()).reason,
    }),
    current: t.boolean({
      description: "True for the caller's own session.",
      resolve: async (s, _args, ctx) => {
        // Informational only, and read on anonymous operations too (login, refresh): a stale bearer
        // sent along with `refresh` — the usual case, the token having just expired — must not turn
        // a committed rotation into an error response, or the client loses its new refresh token.
        const caller = await ctx.caller().catch(() => null);
        return caller?.kind === 'user' && caller.sessionId === s.id;
      },
    }),
  }),
});

const SessionConnection = connectionOf('Session', SessionRef);

builder.queryFields((t) => ({
  session: t.field({
    type: SessionRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.sessions.getSession(await ctx.caller(), String(id)),
  }),
  sessions: t.field({
    type: SessionConnection,
    description: 'Sessions of a realm, newest first. Users see only their own.',
    args: {
      realmId: t.arg.id({ required: true }),
      userId: t.arg.id({ required: false }),
      state: t.arg({ type: SessionStateEnum, required: false }),
      ...pageArgs(t.arg),
    },
    resolve: async (_root, args, ctx) =>
      ctx.services.sessions.listSessions(await ctx.caller(), {
        ...args,
        realmId: String(args.realmId),
        userId: args.userId ? String(args.userId) : null,
      }),
  }),
}));

builder.mutationFields((t) => ({
  logout: t.boolean({
    description: "Ends the caller's own session (LOGOUT). False for unmanaged tokens, which cannot be ended.",
    resolve: async (_root, _args, ctx) => ctx.services.terminations.logout(await ctx.caller()),
  }),
  terminateSession: t.field({
    type: SessionRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ctx.services.terminations.terminateSession(await ctx.caller(), String(id)),
  }),
  terminateAllSessions: t.int({
    description: 'Ends every active session of a user; returns how many (a kept current session is not counted).',
    args: { userId: t.arg.id({ required: true }), keepCurrent: t.arg.boolean({ required: false, defaultValue: false }) },
    resolve: async (_root, { userId, keepCurrent }, ctx) =>
      ctx.services.terminations.terminateAllSessions(await ctx.caller(), String(userId), keepCurrent ?? false),
  }),
  terminateRealmSessions: t.int({
    description: 'Ends every active session of a realm ("log everyone out" after an incident).',
    args: { realmId: t.arg.id({ required: true }) },
    resolve: async (_root, { realmId }, ctx) => ctx.services.terminations.terminateRealmSessions(await ctx.caller(), String(realmId)),
  }),
}));
