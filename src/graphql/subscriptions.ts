import { builder } from './builder.js';
import type { GraphQLContext } from './context.js';
import { DomainError } from '../errors.js';
import type { SessionLifecycleEvent } from '../events/session-events.js';
import type { FeedEvent } from '../events/event-record.js';
import { connectionOf } from './connection.js';
import { reportWatch, watchTermination, whileAdminKeyLive } from '../session/session-watch.js';
import { SessionRef } from './session.js';
import { TerminationReasonEnum } from './enums.js';

const SessionTerminatedEventRef = builder.objectRef<SessionLifecycleEvent>('SessionTerminatedEvent').implement({
  fields: (t) => ({
    sessionId: t.exposeID('sessionId'),
    userId: t.exposeID('userId'),
    realmId: t.exposeID('realmId'),
    reason: t.field({ type: TerminationReasonEnum, resolve: (e) => e.reason ?? 'TERMINATED_BY_ADMIN' }),
    terminatedAt: t.field({ type: 'DateTime', resolve: (e) => new Date(e.at) }),
  }),
});

const SessionEventTypeEnum = builder.enumType('SessionEventType', { values: ['CREATED', 'REFRESHED', 'TERMINATED'] as const });

const SessionEventRef = builder.objectRef<FeedEvent>('SessionEvent').implement({
  description: "One entry of the durable event record: what happened to a session, in the realm's order.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Unique; the same event always has the same id (a webhook delivery carries it too).' }),
    cursor: t.exposeString('cursor', { description: 'Opaque; later events of a realm have greater cursors. Resume a feed after it.' }),
    type: t.field({ type: SessionEventTypeEnum, resolve: (e) => e.type }),
    sessionId: t.exposeID('sessionId', { description: 'The session the event is about; kept after the session itself is deleted.' }),
    userId: t.exposeID('userId', { description: "The session's user; kept after the user is deleted." }),
    session: t.field({
      type: SessionRef,
      // The record outlives what it tells of: after deleteUser or deleteRealm the session is gone,
      // and its events still are (docs/events.md) — null then, never an error for the whole event.
      nullable: true,
      description: 'The session as it is now; null once it has been deleted with its user (deleteUser, deleteRealm).',
      resolve: async (e, _args, ctx) => {
        // A realm stream lives for days on one context: without this its unit of work would keep
        // every session (and user, realm) of every event in its identity map for the stream's life.
        ctx.services.em.clear();
        return ctx.services.sessions.sessionOf(e.realmId, e.sessionId);
      },
    }),
    reason: t.field({ type: TerminationReasonEnum, nullable: true, resolve: (e) => e.reason }),
    at: t.field({ type: 'DateTime', resolve: (e) => new Date(e.at) }),
  }),
});

/** Each event as it is about to be written to its subscriber: the commit-to-socket lag metric. */
function delivered<T extends { at: string }>(ctx: GraphQLContext, event: T): T {
  ctx.metrics.deliveryLag(Math.max(0, Date.now() - Date.parse(event.at)) / 1000);
  return event;
}

/**
 * The session a `sessionTerminated` watches. A token of a session that has already ended is refused
 * as a caller, but may still watch that session: its event then arrives at once (docs/events.md).
 */
async function sessionToWatch(ctx: GraphQLContext, sessionId: string | null): Promise<string> {
  const caller = await ctx.caller().catch(async (error: unknown) => {
    const ended = error instanceof DomainError && error.code === 'UNAUTHENTICATED' ? await ctx.endedSession() : null;
    if (!ended || (sessionId !== null && sessionId !== ended.sessionId)) throw error;
    return ended;
  });
  if ('kind' in caller) return ctx.services.sessions.sessionToWatch(caller, sessionId);
  return caller.sessionId;
}

builder.subscriptionFields((t) => ({
  sessionTerminated: t.field({
    type: SessionTerminatedEventRef,
    description: 'Fires once when the session ends, for any reason (expiry included), then completes. A user token watches its own current session by default.',
    args: { sessionId: t.arg.id({ required: false }) },
    subscribe: async (_root, { sessionId }, ctx) => {
      const watched = await sessionToWatch(ctx, sessionId ? String(sessionId) : null);
      reportWatch(ctx, watched);
      return ctx.events.track(watchTermination(ctx.watchers, watched));
    },
    resolve: (event, _args, ctx) => delivered(ctx, event),
  }),
  sessionEvents: t.field({
    type: SessionEventRef,
    description:
      'Every session event of a realm: CREATED, REFRESHED, TERMINATED (admin keys with SESSIONS_READ). With `after`, first every event after that cursor, then live, with no gap and no repeat.',
    args: { realmId: t.arg.id({ required: true }), after: t.arg.string({ required: false }) },
    subscribe: async (_root, { realmId, after }, ctx) => {
      const caller = await ctx.caller();
      await ctx.services.sessions.requireRealmEvents(caller, String(realmId));
      if (after) await ctx.services.record.checkResumable(String(realmId), after);
      reportWatch(ctx, null);
      const stream = ctx.services.record.feed(String(realmId), after ?? null);
      // Only admin keys get here; a revoked one ends its streams, whatever the transport.
      return ctx.events.track(caller.kind === 'admin' ? whileAdminKeyLive(ctx.watchers, caller.keyId, stream) : stream);
    },
    resolve: (event, _args, ctx) => delivered(ctx, event),
  }),
}));

const SessionEventConnection = connectionOf('SessionEvent', SessionEventRef);

builder.queryFields((t) => ({
  realmEvents: t.field({
    type: SessionEventConnection,
    description: 'The durable event record of a realm, oldest first, for pollers (SESSIONS_READ). Page on with `after` = the last cursor.',
    args: {
      realmId: t.arg.id({ required: true }),
      after: t.arg.string({ required: false }),
      first: t.arg.int({ required: false, description: 'Page size, 1–100 (default 20)' }),
    },
    resolve: async (_root, { realmId, after, first }, ctx) => {
      await ctx.services.sessions.requireRealmEvents(await ctx.caller(), String(realmId));
      return ctx.services.record.page(String(realmId), { after, first });
    },
  }),
}));
