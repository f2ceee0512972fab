import type { EntityManager } from '@mikro-orm/postgresql';
import { Realm, SESSION_STATES, type Session, type SessionState, type User } from '../db/entities/index.js';
import { badInput, notFound, unauthenticated } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Caller, UserCaller } from '../auth/caller.js';
import { missingInReach, realmFilter, requireRealmScope } from '../auth/access.js';
import { connectionOf, decodeCursor, pageSize, type Connection, type PageArgs } from '../db/pagination.js';
import type { UserSnapshots } from '../user/user-snapshots.js';
import { UserStore } from '../user/user-store.js';
import { SessionStore } from './session-store.js';
import { effectiveState } from './session-state.js';

export type ActiveSessionRow = Pick<Session, 'id' | 'realmId' | 'userId' | 'state' | 'expiresAt' | 'idleExpiresAt'>;

export interface SessionServiceDeps {
  em: EntityManager;
  clock: Clock;
  userSnapshots: UserSnapshots;
  /**
   * Where single autocommitted statements of the session store run (Services.statements): an
   * EntityManager used only for its pool, never forked per request. Defaults to `em`.
   */
  statements?: EntityManager;
}

/** Reading sessions, and the viewer behind a login token. */
export class SessionService {
  #store: SessionStore | undefined;

  /** `deps.em` is read only when a method needs it: `me` answered from memory never forks one. */
  constructor(private readonly deps: SessionServiceDeps) {}

  private get store(): SessionStore {
    return (this.#store ??= new SessionStore(this.deps.statements ?? this.deps.em));
  }

  async getSession(caller: Caller, id: string): Promise<Session> {
    if (caller.kind === 'user') {
      const own = await this.store.find(id, { realmId: caller.realmId, userId: caller.userId });
      if (!own) throw notFound('Session');
      return own;
    }
    const session = (await this.store.find(id, { realmId: realmFilter(caller) ?? null, userId: null })) ?? missingInReach(caller, 'SESSIONS_READ', 'Session');
    requireRealmScope(caller, session.realmId, 'SESSIONS_READ', 'Session');
    return session;
  }

  async listSessions(caller: Caller, args: { realmId: string; userId?: string | null; state?: string | null } & PageArgs): Promise<Connection<Session>> {
    let userId: string | null;
    if (caller.kind === 'user') {
      // Users list their own sessions only, whatever userId they pass.
      if (caller.realmId !== args.realmId || (args.userId && args.userId !== caller.userId)) throw notFound(args.userId ? 'User' : 'Realm');
      userId = caller.userId;
    } else {
      requireRealmScope(caller, args.realmId, 'SESSIONS_READ');
      if (!(await this.deps.em.findOne(Realm, { id: args.realmId }))) throw notFound('Realm');
      userId = args.userId || null;
    }
    const limit = pageSize(args.first);
    const state = SESSION_STATES.includes(args.state as SessionState) ? (args.state as SessionState) : null;
    const after = args.after ? decodeCursor(args.after) : null;
    const rows = await this.store.list({ realmId: args.realmId, userId, state, after, limit, now: this.deps.clock.now() });
    return connectionOf(rows, limit, args);
  }

  /**
   * The user behind a login token. A token can outlive its user's row only if it was signed by
   * someone holding the realm's key for a user we never had: that is no caller at all.
   */
  async viewer(caller: UserCaller): Promise<User> {
    const now = this.deps.clock.now().getTime();
    const remembered = this.deps.userSnapshots.get(caller.realmId, caller.userId, now);
    if (remembered) return remembered;
    const user = await new UserStore(this.deps.em).find(caller.userId, caller.realmId);
    if (!user) throw unauthenticated('Invalid or expired token');
    this.deps.userSnapshots.remember(user, now);
    return user;
  }

  /** A session the caller already sees (its own token, a verified token): no access check. */
  sessionOf(realmId: string, sessionId: string): Promise<Session | null> {
    return this.store.find(sessionId, { realmId, userId: null });
  }

  /**
   * The id of the session a subscriber may watch for its end: users their own (default: the
   * current one), admins with SESSIONS_READ any in reach; everything else NOT_FOUND.
   *
   * A user's current session is not read again: the caller was just authenticated against its
   * state, and the watch reads that state once more after it starts listening (an ended session
   * is reported at once). One row and an entity less for each forced-logout subscriber.
   */
  async sessionToWatch(caller: Caller, sessionId: string | null): Promise<string> {
    if (caller.kind === 'user') {
      const id = sessionId ?? caller.sessionId;
      if (!id) throw badInput('sessionId', 'an unmanaged token has no session to watch');
      if (id === caller.sessionId) return id;
      return (await this.getSession(caller, id)).id;
    }
    if (!sessionId) throw badInput('sessionId', 'sessionId is required for admin keys');
    return (await this.getSession(caller, sessionId)).id;
  }

  async requireRealmEvents(caller: Caller, realmId: string): Promise<void> {
    requireRealmScope(caller, realmId, 'SESSIONS_READ');
    if (!(await this.deps.em.findOne(Realm, { id: realmId }))) throw notFound('Realm');
  }

  /** Whether this session of this user exists and has ended (as it reads now). */
  async endedSession(sessionId: string, realmId: string, userId: string): Promise<boolean> {
    const row = await this.store.stateOf(sessionId, realmId, userId);
    return row !== null && effectiveState({ ...row, terminationReason: null }, this.deps.clock.now()).state !== 'ACTIVE';
  }

  /**
   * The managed session behind a token when it is still usable, else null. The hot path of every
   * authenticated call (behind SessionStateCache): one indexed row, read without ORM hydration.
   */
  async activeSession(sessionId: string, realmId: string, userId: string): Promise<ActiveSessionRow | null> {
    const row = await this.store.stateOf(sessionId, realmId, userId);
    if (!row || effectiveState({ ...row, terminationReason: null }, this.deps.clock.now()).state !== 'ACTIVE') return null;
    return { id: sessionId, realmId, userId, ...row };
  }
}
